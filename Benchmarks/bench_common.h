// Shared by the C timers of Benchmarks/ (gemm_shapes, conv_primitives, matmul_primitive):
// the monotonic clock, oneDNN's status check, and the shapes files run_gemm_bench.sh writes.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <dnnl.h>

static inline double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}

#define CK(x) do{dnnl_status_t s_=(x); if(s_!=dnnl_success){fprintf(stderr,"%s: %d line %d\n",#x,s_,__LINE__);exit(1);}}while(0)

// One product of a shapes file: "NAME TA TB M N K" (C[m x n] = op(A) op(B), row-major).
typedef struct{char name[8];int ta,tb;long m,n,k;} S;

// Reads up to max products from path; exits naming the file when it cannot be read or holds
// more than max.
static inline int read_shapes(const char*path,S*v,int max){
  FILE*f=fopen(path,"r"); if(!f){perror(path);exit(2);}
  int n=0; S s;
  while(fscanf(f,"%7s %d %d %ld %ld %ld",s.name,&s.ta,&s.tb,&s.m,&s.n,&s.k)==6){
    if(n==max){fprintf(stderr,"%s: more than %d products\n",path,max);exit(2);}
    v[n++]=s;
  }
  fclose(f);
  return n;
}
