/* Error codes of the native RTC C API. Every function that can fail returns
 * 0 on success or one of these negative values (Agora's ERR_* numbers, negated). */
#ifndef AGORA_RTC_ERRORS_H
#define AGORA_RTC_ERRORS_H

#ifdef __cplusplus
extern "C" {
#endif

enum agora_error_code {
    AGORA_OK = 0,
    AGORA_ERR_FAILED = -1,
    AGORA_ERR_INVALID_ARGUMENT = -2,
    AGORA_ERR_NOT_READY = -3,
    AGORA_ERR_NOT_SUPPORTED = -4,
    AGORA_ERR_REFUSED = -5,
    AGORA_ERR_BUFFER_TOO_SMALL = -6,
    AGORA_ERR_NOT_INITIALIZED = -7,
    AGORA_ERR_INVALID_STATE = -8,
    AGORA_ERR_NO_MEMORY = -11,
    AGORA_ERR_TOO_OFTEN = -12,
    AGORA_ERR_TOO_LARGE = -114, /* message or metadata over the documented size limit */
};

/* Static, human readable description of an error code; never NULL. */
const char *agora_strerror(int code);

#ifdef __cplusplus
}
#endif
#endif
