#include <hdf5.h>

// HDF5's type and property-list identifiers are macros over globals that H5open fills in;
// Swift cannot import them, so these wrappers hand them over (each calls H5open first).
static inline hid_t bv_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t bv_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t bv_h5t_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t bv_h5t_native_int32(void) { return H5T_NATIVE_INT32; }
static inline hid_t bv_h5t_native_uint8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t bv_h5t_c_s1(void) { return H5T_C_S1; }
static inline hid_t bv_h5p_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t bv_h5p_dataset_create(void) { return H5P_DATASET_CREATE; }
static inline hid_t bv_h5p_dataset_access(void) { return H5P_DATASET_ACCESS; }
static inline hid_t bv_h5p_default(void) { return H5P_DEFAULT; }
static inline hid_t bv_h5s_all(void) { return H5S_ALL; }
static inline unsigned bv_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned bv_h5f_acc_rdwr(void) { return H5F_ACC_RDWR; }
static inline unsigned bv_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline size_t bv_h5t_variable(void) { return H5T_VARIABLE; }
