"""CUDA runtime libraries of the image, without a GPU (tests/e2e/test_torch_ddp.sh).

Loads libcublas.so.11, libcudart.so.11.0 and libnvrtc.so.11.2 by soname as an application
would, asks each for its version (calls that need no driver), compiles a CUDA kernel to PTX
with NVRTC (which loads libnvrtc-builtins itself), then imports torch. Prints JSON: versions,
return codes, whether the PTX has the kernel, torch's CUDA view, and every shared object
mapped into the process (all must come from the environment).
"""
import ctypes
import json

out = {}
cudart = ctypes.CDLL("libcudart.so.11.0")
cublas = ctypes.CDLL("libcublas.so.11")
nvrtc = ctypes.CDLL("libnvrtc.so.11.2")

v = ctypes.c_int()
out["cudaRuntimeGetVersion"] = [cudart.cudaRuntimeGetVersion(ctypes.byref(v)), v.value]
n = ctypes.c_int(-1)
out["cudaGetDeviceCount_rc"] = cudart.cudaGetDeviceCount(ctypes.byref(n))  # no driver: != 0
parts = []
for prop in (0, 1, 2):  # MAJOR_VERSION, MINOR_VERSION, PATCH_LEVEL
    p = ctypes.c_int()
    parts.append((cublas.cublasGetProperty(prop, ctypes.byref(p)), p.value))
out["cublasGetProperty"] = parts
major, minor = ctypes.c_int(), ctypes.c_int()
out["nvrtcVersion"] = [nvrtc.nvrtcVersion(ctypes.byref(major), ctypes.byref(minor)), major.value,
                       minor.value]

src = b'extern "C" __global__ void axpy(float a, const float *x, float *y)\n' \
      b'{ int i = blockIdx.x * blockDim.x + threadIdx.x; y[i] = a * x[i] + y[i]; }\n'
prog = ctypes.c_void_p()
rc_create = nvrtc.nvrtcCreateProgram(ctypes.byref(prog), src, b"axpy.cu", 0, None, None)
opts = (ctypes.c_char_p * 1)(b"--gpu-architecture=compute_70")
rc_compile = nvrtc.nvrtcCompileProgram(prog, 1, opts)
size = ctypes.c_size_t()
nvrtc.nvrtcGetPTXSize(prog, ctypes.byref(size))
ptx = ctypes.create_string_buffer(size.value)
rc_ptx = nvrtc.nvrtcGetPTX(prog, ptx)
out["nvrtc_rc"] = [rc_create, rc_compile, rc_ptx]
out["ptx_has_kernel"] = b".entry axpy" in ptx.value

import torch  # noqa: E402  (after the CUDA libraries: both must coexist)

out["torch_cuda_available"] = torch.cuda.is_available()
out["torch_cuda_device_count"] = torch.cuda.device_count()
with open("/proc/self/maps") as f:
    out["mapped"] = sorted({ln.split()[-1] for ln in f if ".so" in ln.split()[-1]})
print(json.dumps(out, indent=1, sort_keys=True))
