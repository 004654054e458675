// oneDNN's own convolution primitives (forward, backward-data, backward-weights; direct
// algorithm, layouts chosen by oneDNN: blocked nChw8c/nChw16c) on the layers of one U-Net
// training step, to set beside batvision's im2col + matrix products (run_gemm_bench.sh,
// "as batvision calls them"): the question is whether a rewrite on these primitives (what
// PyTorch's CPU convolutions use) would pay on this host. Best of REPS after one untimed run;
// layout reorders are not counted (a rewrite would pay them too), so this favours oneDNN.
//   conv_primitives NUM_DOWNS NGF SIZE BATCH [REPS]   (threads: OMP_NUM_THREADS)
#include "bench_common.h"
static dnnl_engine_t eng; static dnnl_stream_t st;
static dnnl_memory_t mk(const dnnl_memory_desc_t*md){dnnl_memory_t m;CK(dnnl_memory_create(&m,md,eng,DNNL_MEMORY_ALLOCATE));
  void*p;dnnl_memory_get_data_handle(m,&p);size_t sz=dnnl_memory_desc_get_size(md);float*f=p;for(size_t i=0;i<sz/4;i++)f[i]=(float)((i*7919)%1000)/1000.f-0.5f;return m;}
static double run(dnnl_primitive_t pr,int n,dnnl_exec_arg_t*a,int reps){double best=1e9;for(int r=0;r<reps+1;r++){double t=now();CK(dnnl_primitive_execute(pr,st,n,a));CK(dnnl_stream_wait(st));t=now()-t;if(r&&t<best)best=t;}return best;}
static const char*impl(dnnl_primitive_desc_t pd){const char*s;dnnl_primitive_desc_query(pd,dnnl_query_impl_info_str,0,&s);return s;}
// deconv 0: Conv2d 4x4/2/1 IC->OC on an HxH input (output H/2); 1: ConvTranspose2d (output 2H).
static double layer(int deconv,long N,long IC,long OC,long H,int needDx,int reps,double*parts){
  long OH=deconv?2*H:H/2;
  dnnl_dims_t sd={N,IC,H,H}, dd={N,OC,OH,OH}, wd={OC,IC,4,4}, str={2,2}, pad={1,1};
  dnnl_memory_desc_t s,d,w; CK(dnnl_memory_desc_init_by_tag(&s,4,sd,dnnl_f32,dnnl_format_tag_any));
  CK(dnnl_memory_desc_init_by_tag(&d,4,dd,dnnl_f32,dnnl_format_tag_any)); CK(dnnl_memory_desc_init_by_tag(&w,4,wd,dnnl_f32,dnnl_format_tag_any));
  dnnl_primitive_desc_t fpd,bdpd,bwpd; 
  if(!deconv){dnnl_convolution_desc_t c;CK(dnnl_convolution_forward_desc_init(&c,dnnl_forward_training,dnnl_convolution_direct,&s,&w,NULL,&d,str,pad,pad));CK(dnnl_primitive_desc_create(&fpd,&c,NULL,eng,NULL));
    CK(dnnl_convolution_backward_data_desc_init(&c,dnnl_convolution_direct,&s,&w,&d,str,pad,pad));CK(dnnl_primitive_desc_create(&bdpd,&c,NULL,eng,fpd));
    CK(dnnl_convolution_backward_weights_desc_init(&c,dnnl_convolution_direct,&s,&w,NULL,&d,str,pad,pad));CK(dnnl_primitive_desc_create(&bwpd,&c,NULL,eng,fpd));}
  else{dnnl_deconvolution_desc_t c;CK(dnnl_deconvolution_forward_desc_init(&c,dnnl_forward_training,dnnl_deconvolution_direct,&s,&w,NULL,&d,str,pad,pad));CK(dnnl_primitive_desc_create(&fpd,&c,NULL,eng,NULL));
    CK(dnnl_deconvolution_backward_data_desc_init(&c,dnnl_deconvolution_direct,&s,&w,&d,str,pad,pad));CK(dnnl_primitive_desc_create(&bdpd,&c,NULL,eng,fpd));
    CK(dnnl_deconvolution_backward_weights_desc_init(&c,dnnl_deconvolution_direct,&s,&w,NULL,&d,str,pad,pad));CK(dnnl_primitive_desc_create(&bwpd,&c,NULL,eng,fpd));}
  dnnl_memory_t ms=mk(dnnl_primitive_desc_query_md(fpd,dnnl_query_src_md,0)), mw=mk(dnnl_primitive_desc_query_md(fpd,dnnl_query_weights_md,0)), md=mk(dnnl_primitive_desc_query_md(fpd,dnnl_query_dst_md,0));
  dnnl_memory_t mds=mk(dnnl_primitive_desc_query_md(bdpd,dnnl_query_diff_src_md,0)), mdd=mk(dnnl_primitive_desc_query_md(bdpd,dnnl_query_diff_dst_md,0)), mdw=mk(dnnl_primitive_desc_query_md(bwpd,dnnl_query_diff_weights_md,0));
  dnnl_memory_t mwb=mk(dnnl_primitive_desc_query_md(bdpd,dnnl_query_weights_md,0));  // backward-data's own weights layout
  dnnl_memory_t mdd2=mk(dnnl_primitive_desc_query_md(bwpd,dnnl_query_diff_dst_md,0)), ms2=mk(dnnl_primitive_desc_query_md(bwpd,dnnl_query_src_md,0));
  dnnl_primitive_t pf,pbd,pbw; CK(dnnl_primitive_create(&pf,fpd));CK(dnnl_primitive_create(&pbd,bdpd));CK(dnnl_primitive_create(&pbw,bwpd));
  dnnl_exec_arg_t af[]={{DNNL_ARG_SRC,ms},{DNNL_ARG_WEIGHTS,mw},{DNNL_ARG_DST,md}};
  dnnl_exec_arg_t abd[]={{DNNL_ARG_DIFF_SRC,mds},{DNNL_ARG_WEIGHTS,mwb},{DNNL_ARG_DIFF_DST,mdd}};
  dnnl_exec_arg_t abw[]={{DNNL_ARG_SRC,ms2},{DNNL_ARG_DIFF_WEIGHTS,mdw},{DNNL_ARG_DIFF_DST,mdd2}};
  parts[0]=run(pf,3,af,reps); parts[1]=needDx?run(pbd,3,abd,reps):0; parts[2]=run(pbw,3,abw,reps);
  double fl=2.0*N*OC*IC*16*(deconv?H*H:OH*OH);
  printf("%s %4ld->%4ld @%3ld  fwd %.4f bwdD %.4f bwdW %.4f s  (%.0f/%.0f/%.0f GF/s) %s | %s | %s\n",deconv?"convT":"conv ",IC,OC,H,parts[0],parts[1],parts[2],
    fl/parts[0]/1e9,needDx?fl/parts[1]/1e9:0,fl/parts[2]/1e9,impl(fpd),impl(bdpd),impl(bwpd));
  return parts[0]+parts[1]+parts[2];
}
int main(int argc,char**argv){
  if(argc<5){fprintf(stderr,"usage: conv_primitives NUM_DOWNS NGF SIZE BATCH [REPS]\n");return 64;}
  long L=atol(argv[1]), ngf=atol(argv[2]), S=atol(argv[3]), N=atol(argv[4]); int reps=argc>5?atoi(argv[5]):2;
  if(L<1||L>12||ngf<1||S<2||N<1||reps<1||(S>>L)<1){fprintf(stderr,"bad shape\n");return 64;}
  CK(dnnl_engine_create(&eng,dnnl_cpu,0)); CK(dnnl_stream_create(&st,eng,dnnl_stream_default_flags));
  double p[3],sum[3]={0,0,0};
  // Level i (0 = outermost) as UNet.swift builds it: (outer, inner, input) channels.
  long outer[16],inner[16],input[16];
  for(int i=0;i<L;i++){
    if(i==0){outer[i]=1;inner[i]=ngf;input[i]=2;}
    else if(i<=3){outer[i]=ngf<<(i-1);inner[i]=ngf<<i;input[i]=ngf<<(i-1);}
    else{outer[i]=inner[i]=input[i]=8*ngf;}
  }
  for(int i=0;i<L;i++){layer(0,N,input[i],inner[i],S>>i,i>0,reps,p);for(int k=0;k<3;k++)sum[k]+=p[k];}
  for(int i=L-1;i>=0;i--){layer(1,N,i==L-1?inner[i]:2*inner[i],outer[i],S>>(i+1),1,reps,p);for(int k=0;k<3;k++)sum[k]+=p[k];}
  printf("total %.4f s per step: forward %.4f, backward-data %.4f, backward-weights %.4f\n",sum[0]+sum[1]+sum[2],sum[0],sum[1],sum[2]);
  return 0;
}
