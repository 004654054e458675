// dnnl_sgemm against oneDNN's matmul primitive on the same products (the shapes file of
// run_gemm_bench.sh), one thread each, row-major with the same transposes. The primitive is
// created per shape with a user scratchpad (so no per-call allocation) and may pick other
// kernels than dnnl_sgemm's (brgemm on AVX-512): the question is whether moving the products
// to it would pay on this host. Prints each shape's GFLOP/s and the largest difference
// (sampled) between the two results, then the totals over every line of the file.
//   matmul_primitive SHAPES_FILE [REPS]
#include <string.h>
#include <omp.h>
#include "bench_common.h"
static dnnl_engine_t eng; static dnnl_stream_t st;
static S sh[4096];
int main(int argc,char**argv){
  if(argc<2){fprintf(stderr,"usage: matmul_primitive SHAPES_FILE [REPS]\n");return 64;}
  int ns=read_shapes(argv[1],sh,4096);
  CK(dnnl_engine_create(&eng,dnnl_cpu,0)); CK(dnnl_stream_create(&st,eng,dnnl_stream_default_flags));
  size_t maxA=0,maxB=0,maxC=0; for(int i=0;i<ns;i++){size_t a=sh[i].m*sh[i].k,b=sh[i].k*sh[i].n,c=sh[i].m*sh[i].n; if(a>maxA)maxA=a; if(b>maxB)maxB=b; if(c>maxC)maxC=c;}
  float*A=malloc(maxA*4),*B=malloc(maxB*4),*C=malloc(maxC*4),*C2=malloc(maxC*4);
  for(size_t i=0;i<maxA;i++)A[i]=(i%997)/997.f-0.5f;
  for(size_t i=0;i<maxB;i++)B[i]=(i%991)/991.f-0.5f;
  void*scratch=NULL; size_t scratchSize=0;
  double tS=0,tM=0; int reps=argc>2?atoi(argv[2]):2;
  omp_set_num_threads(1);
  for(int i=0;i<ns;i++){ S s=sh[i]; long lda=s.ta?s.m:s.k, ldb=s.tb?s.k:s.n;
    // matmul primitive: src [m,k] with strides, weights [k,n] with strides, dst [m,n]
    dnnl_memory_desc_t a,b,c; dnnl_dims_t ad={s.m,s.k}, bd={s.k,s.n}, cd={s.m,s.n};
    dnnl_dims_t as={s.ta?1:lda, s.ta?lda:1}, bs={s.tb?1:ldb, s.tb?ldb:1}, cs={s.n,1};
    CK(dnnl_memory_desc_init_by_strides(&a,2,ad,dnnl_f32,as)); CK(dnnl_memory_desc_init_by_strides(&b,2,bd,dnnl_f32,bs)); CK(dnnl_memory_desc_init_by_strides(&c,2,cd,dnnl_f32,cs));
    dnnl_matmul_desc_t md; CK(dnnl_matmul_desc_init(&md,&a,&b,NULL,&c));
    dnnl_primitive_attr_t at; CK(dnnl_primitive_attr_create(&at)); CK(dnnl_primitive_attr_set_scratchpad_mode(at,dnnl_scratchpad_mode_user));
    dnnl_primitive_desc_t pd; CK(dnnl_primitive_desc_create(&pd,&md,at,eng,NULL));
    const char*impl; dnnl_primitive_desc_query(pd,dnnl_query_impl_info_str,0,&impl);
    const dnnl_memory_desc_t*sd=dnnl_primitive_desc_query_md(pd,dnnl_query_scratchpad_md,0); size_t ss=dnnl_memory_desc_get_size(sd);
    if(ss>scratchSize){free(scratch);scratch=aligned_alloc(64,(ss+63)/64*64);memset(scratch,0,ss);scratchSize=ss;}
    dnnl_primitive_t pr; CK(dnnl_primitive_create(&pr,pd));
    dnnl_memory_t ma,mb,mc,ms; CK(dnnl_memory_create(&ma,&a,eng,A)); CK(dnnl_memory_create(&mb,&b,eng,B)); CK(dnnl_memory_create(&mc,&c,eng,C2)); CK(dnnl_memory_create(&ms,sd,eng,scratch));
    dnnl_exec_arg_t args[]={{DNNL_ARG_SRC,ma},{DNNL_ARG_WEIGHTS,mb},{DNNL_ARG_DST,mc},{DNNL_ARG_SCRATCHPAD,ms}};
    double bs1=1e9,bs2=1e9;
    for(int r=0;r<reps+1;r++){ double t=now(); CK(dnnl_sgemm(s.ta?'T':'N',s.tb?'T':'N',s.m,s.n,s.k,1,A,lda,B,ldb,0,C,s.n)); t=now()-t; if(r&&t<bs1)bs1=t;
      t=now(); CK(dnnl_primitive_execute(pr,st,4,args)); CK(dnnl_stream_wait(st)); t=now()-t; if(r&&t<bs2)bs2=t; }
    double err=0; for(long j=0;j<s.m*s.n;j+=97){double d=C[j]-C2[j]; if(d<0)d=-d; if(d>err)err=d;}
    double fl=2.0*s.m*s.n*s.k; tS+=bs1; tM+=bs2;
    printf("%s %d%d m %5ld n %6ld k %6ld  sgemm %6.1f  matmul %6.1f GF/s  maxdiff %.1e  %s\n",s.name,s.ta,s.tb,s.m,s.n,s.k,fl/bs1/1e9,fl/bs2/1e9,err,impl);
    dnnl_primitive_destroy(pr); dnnl_primitive_desc_destroy(pd); dnnl_primitive_attr_destroy(at);
  }
  printf("TOTAL one thread, every product in the file: dnnl_sgemm %.3f s, matmul primitive %.3f s\n",tS,tM);
  return 0;
}
