// oneDNN (Debian libdnnl-dev 2.6, no pkg-config file): only dnnl_sgemm is used.
#include <dnnl.h>

// Debian's oneDNN runs on GNU OpenMP (libgomp). Its omp.h lives in GCC's private include
// folder, out of Swift's reach, so the two calls used are declared here.
int omp_get_max_threads(void);
void omp_set_num_threads(int threads);
