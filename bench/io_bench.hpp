#pragma once
// The model-file benchmarks: saving and loading a model of about a million parameters as JSON
// with `data` and with `base64` parameters and as safetensors, beside io/plain_read and
// io/plain_write, which move the same number of bytes between a file and a buffer.

namespace minnow::bench {

/// Registers io/plain_read, io/plain_write, then io/<format>/save and io/<format>/load for the
/// formats json_data, json_base64 and safetensors.
void register_io_benchmarks();

}  // namespace minnow::bench
