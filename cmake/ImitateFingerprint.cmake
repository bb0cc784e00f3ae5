# Build facts that go into every plugin's manifest fingerprint, and the git revision.

# CUDA on/off follows the LibTorch we build against.
if(TARGET torch_cuda OR CAFFE2_USE_CUDA OR TORCH_CUDA_LIBRARIES)
  set(IMITATE_WITH_CUDA 1)
else()
  set(IMITATE_WITH_CUDA 0)
endif()
message(STATUS "imitate: LibTorch CUDA=${IMITATE_WITH_CUDA}")

# imitate_add_git_revision(target): defines IMITATE_GIT_REVISION for the target from a header
# regenerated at every build (it changes only when the revision or dirty state changes).
function(imitate_add_git_revision target)
  set(out_dir ${CMAKE_BINARY_DIR}/generated)
  set(header ${out_dir}/imitate/git_revision.h)
  add_custom_target(${target}_git_revision
    COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${CMAKE_SOURCE_DIR} -DOUT=${header}
            -P ${CMAKE_SOURCE_DIR}/cmake/WriteGitRevision.cmake
    BYPRODUCTS ${header}
    COMMENT "")
  add_dependencies(${target} ${target}_git_revision)
  target_include_directories(${target} PRIVATE ${out_dir})
endfunction()
