#include "agora_rtc/errors.h"

const char *agora_strerror(int code)
{
    switch (code) {
    case AGORA_OK: return "ok";
    case AGORA_ERR_FAILED: return "general failure";
    case AGORA_ERR_INVALID_ARGUMENT: return "invalid argument";
    case AGORA_ERR_NOT_READY: return "not ready";
    case AGORA_ERR_NOT_SUPPORTED: return "not supported";
    case AGORA_ERR_REFUSED: return "refused";
    case AGORA_ERR_BUFFER_TOO_SMALL: return "buffer too small";
    case AGORA_ERR_NOT_INITIALIZED: return "not initialized";
    case AGORA_ERR_INVALID_STATE: return "invalid state";
    case AGORA_ERR_NO_MEMORY: return "out of memory";
    case AGORA_ERR_TOO_OFTEN: return "called too often";
    case AGORA_ERR_TOO_LARGE: return "data too large";
    default: return "unknown error";
    }
}
