// The perceptron trainer's SVG picture. Coordinates: "data" units are the features' values,
// "pixels" are SVG user units; each panel maps one to the other with a Frame.

#include "plot.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>
#include <string_view>
#include <utility>

namespace perceptron {
namespace {

constexpr double kWidth = 1000, kHeight = 600;
constexpr std::string_view kClassColour[2] = {"#2f6db3", "#e07b24"};
constexpr std::string_view kWrongColour = "#d62728";
constexpr std::string_view kInk = "#222222", kGrid = "#e6e6e6";
constexpr std::string_view kBarColour = "#8a6fc2", kDoneColour = "#2ca02c";

/// A number with `decimals` digits after the point, independent of the C locale.
std::string fixed(double value, int decimals = 1) {
  char buffer[64];
  const auto result =
      std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed, decimals);
  std::string text(buffer, result.ptr);
  if (text == "-0" || text == "-0.0" || text == "-0.00") text.erase(0, 1);
  return text;
}

/// A tick label: as few decimals as the tick step needs.
std::string tick_label(double value, double step) {
  const int decimals = step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(step) - 1e-9));
  return fixed(value, decimals);
}

std::string escape_xml(std::string_view text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

/// A "nice" tick step (1, 2 or 5 times a power of ten) giving about `count` ticks over `span`.
double nice_step(double span, int count) {
  const double raw = span / std::max(count, 1);
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (const double factor : {1.0, 2.0, 5.0}) {
    if (raw <= factor * power) return factor * power;
  }
  return 10 * power;
}

/// A rectangle of the picture showing the data range [x_lo, x_hi] x [y_lo, y_hi].
struct Frame {
  double left, top, width, height;
  double x_lo, x_hi, y_lo, y_hi;
  double px(double x) const { return left + (x - x_lo) / (x_hi - x_lo) * width; }
  double py(double y) const { return top + height - (y - y_lo) / (y_hi - y_lo) * height; }
};

/// Writes SVG elements with attributes in pixel units.
class Svg {
 public:
  std::ostringstream out;

  void text(double x, double y, std::string_view content, std::string_view style,
            std::string_view anchor = "start") {
    out << "<text x=\"" << fixed(x) << "\" y=\"" << fixed(y) << "\" text-anchor=\"" << anchor
        << "\" " << style << ">" << escape_xml(content) << "</text>\n";
  }
  void line(double x1, double y1, double x2, double y2, std::string_view stroke, double width,
            std::string_view extra = "") {
    out << "<line x1=\"" << fixed(x1) << "\" y1=\"" << fixed(y1) << "\" x2=\"" << fixed(x2)
        << "\" y2=\"" << fixed(y2) << "\" stroke=\"" << stroke << "\" stroke-width=\""
        << fixed(width) << "\" " << extra << "/>\n";
  }
  void rect(double x, double y, double w, double h, std::string_view style) {
    out << "<rect x=\"" << fixed(x) << "\" y=\"" << fixed(y) << "\" width=\"" << fixed(w)
        << "\" height=\"" << fixed(h) << "\" " << style << "/>\n";
  }
  void circle(double x, double y, double r, std::string_view style) {
    out << "<circle cx=\"" << fixed(x) << "\" cy=\"" << fixed(y) << "\" r=\"" << fixed(r) << "\" "
        << style << "/>\n";
  }
  void polygon(const std::vector<std::pair<double, double>>& points, std::string_view style) {
    if (points.size() < 3) return;
    out << "<polygon points=\"";
    for (const auto& [x, y] : points) out << fixed(x) << "," << fixed(y) << " ";
    out << "\" " << style << "/>\n";
  }
};

/// Grid lines, tick labels and axis titles around a frame.
void draw_axes(Svg& svg, const Frame& f, std::string_view x_title, std::string_view y_title,
               int x_ticks, int y_ticks, bool integer_ticks) {
  const auto step_for = [&](double span, int count) {
    const double step = nice_step(span, count);
    return integer_ticks ? std::max(1.0, std::round(step)) : step;
  };
  const double xs = step_for(f.x_hi - f.x_lo, x_ticks);
  for (double x = std::ceil(f.x_lo / xs) * xs; x <= f.x_hi + 1e-9; x += xs) {
    svg.line(f.px(x), f.top, f.px(x), f.top + f.height, kGrid, 1);
    svg.text(f.px(x), f.top + f.height + 18, tick_label(x, xs), "font-size=\"12\" fill=\"#666666\"",
             "middle");
  }
  const double ys = step_for(f.y_hi - f.y_lo, y_ticks);
  for (double y = std::ceil(f.y_lo / ys) * ys; y <= f.y_hi + 1e-9; y += ys) {
    svg.line(f.left, f.py(y), f.left + f.width, f.py(y), kGrid, 1);
    svg.text(f.left - 8, f.py(y) + 4, tick_label(y, ys), "font-size=\"12\" fill=\"#666666\"",
             "end");
  }
  svg.rect(f.left, f.top, f.width, f.height, "fill=\"none\" stroke=\"#999999\"");
  svg.text(f.left + f.width / 2, f.top + f.height + 40, x_title,
           "font-size=\"14\" fill=\"#222222\"", "middle");
  const double yx = f.left - 46, yy = f.top + f.height / 2;
  svg.out << "<text x=\"" << fixed(yx) << "\" y=\"" << fixed(yy)
          << "\" text-anchor=\"middle\" font-size=\"14\" fill=\"#222222\" transform=\"rotate(-90 "
          << fixed(yx) << " " << fixed(yy) << ")\">" << escape_xml(y_title) << "</text>\n";
}

/// The part of the frame's rectangle (in data units) where side * (w0 x + w1 y + b - t) >= 0:
/// one Sutherland-Hodgman pass of the rectangle against a half-plane.
std::vector<std::pair<double, double>> clip_half_plane(const Frame& f, const PlotData& d,
                                                       double side) {
  const auto value = [&](const std::pair<double, double>& p) {
    return side * (d.w0 * p.first + d.w1 * p.second + d.b - d.threshold);
  };
  const std::vector<std::pair<double, double>> corners = {
      {f.x_lo, f.y_lo}, {f.x_hi, f.y_lo}, {f.x_hi, f.y_hi}, {f.x_lo, f.y_hi}};
  std::vector<std::pair<double, double>> kept;
  for (size_t i = 0; i < corners.size(); ++i) {
    const auto& a = corners[i];
    const auto& b = corners[(i + 1) % corners.size()];
    const double va = value(a), vb = value(b);
    if (va >= 0) kept.push_back(a);
    if ((va >= 0) != (vb >= 0)) {
      const double t = va / (va - vb);
      kept.emplace_back(a.first + t * (b.first - a.first), a.second + t * (b.second - a.second));
    }
  }
  return kept;
}

/// The decision line's two end points on the frame's border, if it crosses the frame.
std::vector<std::pair<double, double>> boundary_segment(const Frame& f, const PlotData& d) {
  std::vector<std::pair<double, double>> ends;
  for (const auto& p : clip_half_plane(f, d, 1.0)) {
    if (std::abs(d.w0 * p.first + d.w1 * p.second + d.b - d.threshold) <=
        1e-6 * (std::abs(d.w0) + std::abs(d.w1) + std::abs(d.b) + std::abs(d.threshold) + 1)) {
      ends.push_back(p);
    }
  }
  if (ends.size() > 2) ends.resize(2);
  return ends.size() == 2 ? ends : std::vector<std::pair<double, double>>{};
}

/// "class 1 where 3.07 x1 + 1.89 x2 - 1 >= 0".
std::string rule_text(const PlotData& d) {
  const auto term = [](double value, std::string_view name, bool first) {
    std::string text =
        first ? (value < 0 ? "\xE2\x88\x92" : "") : (value < 0 ? " \xE2\x88\x92 " : " + ");
    return text + fixed(std::abs(value), 2) + std::string(name);
  };
  return "class 1 where " + term(d.w0, "\xC2\xB7x\xE2\x82\x81", true) +
         term(d.w1, "\xC2\xB7x\xE2\x82\x82", false) + term(d.b, "", false) + " \xE2\x89\xA5 " +
         fixed(d.threshold, 2);
}

bool predicts_one(const PlotData& d, size_t i) {
  return d.w0 * d.xs[i] + d.w1 * d.ys[i] + d.b >= d.threshold;
}

void draw_scatter(Svg& svg, const PlotData& d) {
  const auto [x_min, x_max] = std::minmax_element(d.xs.begin(), d.xs.end());
  const auto [y_min, y_max] = std::minmax_element(d.ys.begin(), d.ys.end());
  const double x_pad = std::max(0.5, 0.08 * (*x_max - *x_min));
  const double y_pad = std::max(0.5, 0.08 * (*y_max - *y_min));
  const Frame f{80, 125, 480, 400, *x_min - x_pad, *x_max + x_pad, *y_min - y_pad, *y_max + y_pad};

  // The two half-planes, tinted with their class's colour, under everything else.
  for (const int cls : {0, 1}) {
    std::vector<std::pair<double, double>> region;
    for (const auto& [x, y] : clip_half_plane(f, d, cls == 1 ? 1.0 : -1.0)) {
      region.emplace_back(f.px(x), f.py(y));
    }
    svg.polygon(region, "fill=\"" + std::string(kClassColour[cls]) + "\" fill-opacity=\"0.09\"");
  }
  draw_axes(svg, f, "feature 1 (x\xE2\x82\x81)", "feature 2 (x\xE2\x82\x82)", 8, 8, false);

  const auto ends = boundary_segment(f, d);
  if (!ends.empty()) {
    svg.line(f.px(ends[0].first), f.py(ends[0].second), f.px(ends[1].first), f.py(ends[1].second),
             kInk, 2.5, "stroke-linecap=\"round\"");
  }
  for (size_t i = 0; i < d.xs.size(); ++i) {
    const int cls = d.labels[i] != 0 ? 1 : 0;
    const bool wrong = predicts_one(d, i) != (cls == 1);
    const std::string style = "fill=\"" + std::string(kClassColour[cls]) +
                              "\" fill-opacity=\"0.85\" stroke=\"" +
                              std::string(wrong ? kWrongColour : "#ffffff") + "\" stroke-width=\"" +
                              (wrong ? "2.5" : "1") + "\"";
    svg.circle(f.px(d.xs[i]), f.py(d.ys[i]), d.xs.size() <= 16 ? 9 : 4.5, style);
  }
  svg.text(f.left, f.top - 12, "the data and the learned decision line",
           "font-size=\"15\" font-weight=\"bold\" fill=\"#222222\"");
}

void draw_legend(Svg& svg, double left, double top, bool any_wrong) {
  double y = top;
  const auto entry = [&](std::string_view label) {
    svg.text(left + 24, y + 5, label, "font-size=\"13\" fill=\"#222222\"");
    y += 24;
  };
  svg.circle(left + 8, y, 6, "fill=\"" + std::string(kClassColour[0]) + "\"");
  entry("class 0");
  svg.circle(left + 8, y, 6, "fill=\"" + std::string(kClassColour[1]) + "\"");
  entry("class 1");
  svg.line(left, y, left + 16, y, kInk, 2.5);
  entry("decision line (w\xC2\xB7x + b = threshold)");
  if (any_wrong) {
    svg.circle(
        left + 8, y, 6,
        "fill=\"#ffffff\" stroke=\"" + std::string(kWrongColour) + "\" stroke-width=\"2.5\"");
    entry("still misclassified");
  }
}

void draw_mistakes(Svg& svg, const PlotData& d, double left, double top, double width,
                   double height) {
  const auto epochs = static_cast<double>(d.mistakes_per_epoch.size());
  const int most =
      std::max(1, *std::max_element(d.mistakes_per_epoch.begin(), d.mistakes_per_epoch.end()));
  const Frame f{left, top, width, height, 0.5, epochs + 0.5, 0, most * 1.1};
  draw_axes(svg, f, "epoch", "mistakes", std::min(8, static_cast<int>(epochs)), 5, true);
  const double bar = std::clamp(0.7 * width / epochs, 1.0, 48.0);
  for (size_t e = 0; e < d.mistakes_per_epoch.size(); ++e) {
    const int m = d.mistakes_per_epoch[e];
    const double x = f.px(static_cast<double>(e + 1));
    if (m == 0) {
      svg.circle(x, f.py(0) - 5, 4, "fill=\"" + std::string(kDoneColour) + "\"");
      if (d.mistakes_per_epoch.size() <= 30) {
        svg.text(x, f.py(0) - 14, "0", "font-size=\"12\" fill=\"#2ca02c\"", "middle");
      }
    } else {
      svg.rect(x - bar / 2, f.py(m), bar, f.py(0) - f.py(m),
               "fill=\"" + std::string(kBarColour) + "\" rx=\"1.5\"");
    }
  }
  svg.text(f.left, f.top - 12, "mistakes per epoch",
           "font-size=\"15\" font-weight=\"bold\" fill=\"#222222\"");
}

}  // namespace

std::string render_svg(const PlotData& d) {
  Svg svg;
  svg.out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kWidth << "\" height=\""
          << kHeight << "\" viewBox=\"0 0 " << kWidth << " " << kHeight
          << "\" font-family=\"Helvetica, Arial, sans-serif\">\n";
  svg.rect(0, 0, kWidth, kHeight, "fill=\"#ffffff\"");
  svg.text(40, 44, d.title, "font-size=\"24\" font-weight=\"bold\" fill=\"#222222\"");
  svg.text(40, 70, d.subtitle, "font-size=\"14\" fill=\"#666666\"");

  const bool scatter = !d.xs.empty();
  bool any_wrong = false;
  if (scatter) {
    draw_scatter(svg, d);
    for (size_t i = 0; i < d.xs.size(); ++i) {
      any_wrong = any_wrong || predicts_one(d, i) != (d.labels[i] != 0);
    }
  }
  if (!d.mistakes_per_epoch.empty()) {
    if (scatter) {
      draw_mistakes(svg, d, 680, 125, 280, 220);
    } else {
      draw_mistakes(svg, d, 100, 125, 840, 400);
      svg.text(
          940, 585,
          std::to_string(d.num_features) +
              " features: the decision boundary is a hyperplane, so only the mistakes are drawn",
          "font-size=\"12\" font-style=\"italic\" fill=\"#666666\"", "end");
    }
  }
  if (scatter) {
    draw_legend(svg, 625, 430, any_wrong);
    svg.text(625, 548, "learned: " + rule_text(d), "font-size=\"13\" fill=\"#222222\"");
    svg.text(625, 572,
             d.converged ? "every point is on its class's side of the line"
                         : "no line separates these classes",
             "font-size=\"13\" font-style=\"italic\" fill=\"" +
                 std::string(d.converged ? kDoneColour : kWrongColour) + "\"");
  }
  svg.out << "</svg>\n";
  return svg.out.str();
}

}  // namespace perceptron
