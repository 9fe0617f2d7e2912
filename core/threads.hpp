#pragma once
// How many threads minnow's kernels may use. Only matrix products are threaded (through
// OpenBLAS, when the library was built with it); everything else runs on the calling thread.

namespace minnow {

/// Sets the number of threads for matrix products (1 by default, so that results and timings
/// do not depend on the machine). ValueError when n < 1.
void set_num_threads(int n);
/// The current setting of set_num_threads.
int num_threads();

}  // namespace minnow
