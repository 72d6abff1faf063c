# One switch for the sanitizer build: -DAGORA_RTC_SANITIZE=ON (or the env var
# AGORA_RTC_SANITIZE=1 at pip install time, see pyproject.toml) builds the
# engine and the extension with AddressSanitizer + UndefinedBehaviorSanitizer.
option(AGORA_RTC_SANITIZE "Build with ASan + UBSan" OFF)

function(agora_rtc_apply_sanitizers target)
  if(AGORA_RTC_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined
                                             -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()
