// The U-Net's matrix products on OpenBLAS and oneDNN, shape by shape (Benchmarks/run_gemm_bench.sh
// writes the shapes). Per shape, the best of REPS runs (after one untimed) of: OpenBLAS on its own
// 2 threads (obT), OpenBLAS split in two halves on one thread each (obSplit, how batvision calls
// it), dnnl_sgemm on 2 OpenMP threads (dnnl) and split in two halves on one thread each (dnSplit,
// how batvision calls it); then the step's total seconds with each shape counted as often as it
// occurs. (Before 64d8419 batvision handed products above 2^30 multiply-adds to the library's
// own threads; now every product is split.)
//   gemm_shapes SHAPES_FILE [REPS]
#include <string.h>
#include <cblas.h>
#include <omp.h>
#include "bench_common.h"
static float *A,*B,*C;
static void ob(int mode,S s){ // mode 0: openblas threaded(2); 1: split 2 ways, 1 thread each
  long lda=s.ta?s.m:s.k, ldb=s.tb?s.k:s.n;
  if(mode==0){openblas_set_num_threads(2);cblas_sgemm(CblasRowMajor,s.ta?CblasTrans:CblasNoTrans,s.tb?CblasTrans:CblasNoTrans,s.m,s.n,s.k,1,A,lda,B,ldb,0,C,s.n);openblas_set_num_threads(1);return;}
  openblas_set_num_threads(1);
  #pragma omp parallel for num_threads(2)
  for(int p=0;p<2;p++){
    if(s.n>=s.m){long j0=s.n*p/2,j1=s.n*(p+1)/2; const float*bp=s.tb?B+j0*ldb:B+j0;
      cblas_sgemm(CblasRowMajor,s.ta?CblasTrans:CblasNoTrans,s.tb?CblasTrans:CblasNoTrans,s.m,j1-j0,s.k,1,A,lda,bp,ldb,0,C+j0,s.n);}
    else {long i0=s.m*p/2,i1=s.m*(p+1)/2; const float*ap=s.ta?A+i0:A+i0*lda;
      cblas_sgemm(CblasRowMajor,s.ta?CblasTrans:CblasNoTrans,s.tb?CblasTrans:CblasNoTrans,i1-i0,s.n,s.k,1,ap,lda,B,ldb,0,C+i0*s.n,s.n);}
  }
}
static void dn(S s){ long lda=s.ta?s.m:s.k, ldb=s.tb?s.k:s.n; omp_set_num_threads(2);
  dnnl_sgemm(s.ta?'T':'N',s.tb?'T':'N',s.m,s.n,s.k,1,A,lda,B,ldb,0,C,s.n);}
static void dnSplit(S s){ long lda=s.ta?s.m:s.k, ldb=s.tb?s.k:s.n; // as Gemm.multiply
  #pragma omp parallel for num_threads(2)
  for(int p=0;p<2;p++){ omp_set_num_threads(1);
    if(s.n>=s.m){long j0=s.n*p/2,j1=s.n*(p+1)/2; const float*bp=s.tb?B+j0*ldb:B+j0;
      dnnl_sgemm(s.ta?'T':'N',s.tb?'T':'N',s.m,j1-j0,s.k,1,A,lda,bp,ldb,0,C+j0,s.n);}
    else {long i0=s.m*p/2,i1=s.m*(p+1)/2; const float*ap=s.ta?A+i0:A+i0*lda;
      dnnl_sgemm(s.ta?'T':'N',s.tb?'T':'N',i1-i0,s.n,s.k,1,ap,lda,B,ldb,0,C+i0*s.n,s.n);}
  }
}
int main(int argc,char**argv){
  if(argc<2){fprintf(stderr,"usage: gemm_shapes SHAPES_FILE [REPS]\n");return 64;}
  static S v[4096];int nv=read_shapes(argv[1],v,4096);int reps=argc>2?atoi(argv[2]):3;
  long mx=0;for(int i=0;i<nv;i++){long a=v[i].m*v[i].k,b=v[i].k*v[i].n,c=v[i].m*v[i].n;if(a>mx)mx=a;if(b>mx)mx=b;if(c>mx)mx=c;}
  A=malloc(mx*4);B=malloc(mx*4);C=malloc(mx*4);for(long i=0;i<mx;i++){A[i]=(i%17)*0.01f;B[i]=(i%13)*0.02f;C[i]=0;}
  double tot[4]={0,0,0,0};
  for(int i=0;i<nv;i++){ // dedupe: only time first occurrence, count multiplicity
    int dup=0;for(int j=0;j<i;j++)if(!memcmp(&v[j].ta,&v[i].ta,sizeof(int)*2+sizeof(long)*3)&&!strcmp(v[j].name,v[i].name))dup=1; if(dup)continue;
    int mult=0;for(int j=0;j<nv;j++)if(!memcmp(&v[j].ta,&v[i].ta,sizeof(int)*2+sizeof(long)*3)&&!strcmp(v[j].name,v[i].name))mult++;
    double best[4]={1e9,1e9,1e9,1e9};
    for(int r=0;r<reps+1;r++){double t;
      t=now();ob(0,v[i]);t=now()-t;if(r&&t<best[0])best[0]=t;
      t=now();ob(1,v[i]);t=now()-t;if(r&&t<best[1])best[1]=t;
      t=now();dn(v[i]);t=now()-t;if(r&&t<best[2])best[2]=t;
      t=now();dnSplit(v[i]);t=now()-t;if(r&&t<best[3])best[3]=t;}
    double fl=2.0*v[i].m*v[i].n*v[i].k;
    printf("%-6s %d%d m%5ld n%7ld k%7ld x%d  obT %6.1f  obSplit %6.1f  dnnl %6.1f  dnSplit %6.1f GF/s\n",v[i].name,v[i].ta,v[i].tb,v[i].m,v[i].n,v[i].k,mult,fl/best[0]/1e9,fl/best[1]/1e9,fl/best[2]/1e9,fl/best[3]/1e9);
    for(int q=0;q<4;q++)tot[q]+=mult*best[q];
  }
  printf("TOTAL s: obT %.3f obSplit %.3f dnnl %.3f dnSplit %.3f | as batvision calls them: OpenBLAS %.3f oneDNN %.3f\n",tot[0],tot[1],tot[2],tot[3],tot[1],tot[3]);
}
