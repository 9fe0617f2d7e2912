#pragma once
// The perceptron trainer's picture: the points coloured by class, the learned decision line with
// the two half-planes it creates, and a bar chart of the mistakes made in each epoch. Plain SVG,
// written by hand, so it opens in any browser with nothing to install.

#include <string>
#include <vector>

namespace perceptron {

/// Everything the picture shows.
struct PlotData {
  std::string title;
  std::string subtitle;
  /// The samples' first two features (x, y) and their 0/1 labels. Empty when the data does
  /// not have exactly two features: then only the chart of mistakes is drawn.
  std::vector<float> xs, ys;
  std::vector<int> labels;
  /// The learned rule: class 1 where w0 x + w1 y + b >= threshold.
  float w0 = 0, w1 = 0, b = 0, threshold = 0;
  /// Mistakes (weight updates) made in each epoch, in order.
  std::vector<int> mistakes_per_epoch;
  /// Number of features (only two can be drawn as points).
  int num_features = 0;
  bool converged = false;
};

/// The whole SVG document.
std::string render_svg(const PlotData& data);

}  // namespace perceptron
