#pragma once
// The MLP benchmarks: mlp/<config>/<mode> (minnow) and ref/<config>/<mode> (the hand-written
// reference), for every config of mlp_config.hpp and every mode.

namespace minnow::bench {

/// Registers ref/<config>/<mode> followed by mlp/<config>/<mode> for every config and mode, so
/// that each minnow figure is measured right after its baseline.
void register_mlp_benchmarks();

}  // namespace minnow::bench
