# Strict C11 warnings for the native engine (-Wall -Wextra clean is a rule).
function(agora_rtc_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wshadow -Wstrict-prototypes
                                           -Wno-unused-parameter)
  if(AGORA_RTC_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
