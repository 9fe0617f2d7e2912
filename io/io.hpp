#pragma once
// minnow::io in one include: model files (JSON), safetensors, CSV, and the text and file
// helpers they share.

#include "minnow/io/atomic_file.hpp"
#include "minnow/io/csv.hpp"
#include "minnow/io/model_file.hpp"
#include "minnow/io/safetensors.hpp"
#include "minnow/io/text.hpp"
