# imitate_set_warnings(target): the project's warning flags.
function(imitate_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wimplicit-fallthrough -Wvla)
  if(IMITATE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
