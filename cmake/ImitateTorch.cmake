# LibTorch, from one of two places:
#  - its CMake package (the default; Debian's libtorch-dev, or any LibTorch through Torch_DIR);
#  - the folder of a Python `torch` package (-DIMITATE_TORCH_PYTHON_DIR=.../site-packages/torch),
#    linked straight from its lib/ and include/. A CUDA wheel's own CMake package wants the whole
#    CUDA toolkit and cuDNN development files; this way needs neither.
# Either way TORCH_LIBRARIES and TORCH_CXX_FLAGS are set, and CAFFE2_USE_CUDA when it has CUDA.
set(IMITATE_TORCH_PYTHON_DIR "" CACHE PATH
    "Folder of a Python torch package to build against instead of find_package(Torch)")

if(NOT IMITATE_TORCH_PYTHON_DIR)
  find_package(Torch REQUIRED)
  return()
endif()

set(_torch_dir ${IMITATE_TORCH_PYTHON_DIR})
if(NOT EXISTS ${_torch_dir}/lib/libtorch_cpu.so OR NOT EXISTS ${_torch_dir}/include/torch)
  message(FATAL_ERROR "IMITATE_TORCH_PYTHON_DIR=${_torch_dir}: expected a Python torch package "
                      "folder holding lib/libtorch_cpu.so and include/torch")
endif()

# the C++ ABI of std::string the package was built with (wheels since PyTorch 2.7 use the new one)
set(_torch_abi 1)
find_program(IMITATE_PYTHON3 NAMES python3)
if(IMITATE_PYTHON3)
  get_filename_component(_site ${_torch_dir} DIRECTORY)
  execute_process(
    COMMAND ${CMAKE_COMMAND} -E env PYTHONPATH=${_site} ${IMITATE_PYTHON3} -c
            "import torch; print(int(torch._C._GLIBCXX_USE_CXX11_ABI))"
    OUTPUT_VARIABLE _abi_out OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE _abi_rc ERROR_QUIET)
  if(_abi_rc EQUAL 0 AND _abi_out MATCHES "^[01]$")
    set(_torch_abi ${_abi_out})
  endif()
endif()

# libtorch_cuda registers the CUDA backend from static initialisers: keep it even where the
# linker drops libraries no symbol is taken from (--as-needed, Ubuntu's default)
set(_torch_libs ${_torch_dir}/lib/libtorch.so ${_torch_dir}/lib/libtorch_cpu.so
    ${_torch_dir}/lib/libc10.so)
if(EXISTS ${_torch_dir}/lib/libtorch_cuda.so)
  set(CAFFE2_USE_CUDA ON)
  set(_torch_libs "-Wl,--no-as-needed" ${_torch_dir}/lib/libtorch_cuda.so
      ${_torch_dir}/lib/libc10_cuda.so "-Wl,--as-needed" ${_torch_libs})
endif()

# the package's include/ bundles its own (newer) fmt headers: the fmt we link comes first
get_target_property(_fmt_include fmt::fmt INTERFACE_INCLUDE_DIRECTORIES)
if(NOT _fmt_include)
  set(_fmt_include "")
endif()
add_library(imitate_torch INTERFACE IMPORTED GLOBAL)
target_include_directories(imitate_torch SYSTEM INTERFACE
  ${_fmt_include} ${_torch_dir}/include ${_torch_dir}/include/torch/csrc/api/include)
target_link_libraries(imitate_torch INTERFACE ${_torch_libs})
set(TORCH_LIBRARIES imitate_torch)
set(TORCH_CXX_FLAGS -D_GLIBCXX_USE_CXX11_ABI=${_torch_abi})
message(STATUS "imitate: LibTorch from ${_torch_dir} (C++11 ABI ${_torch_abi})")
