// api_errors.cpp — the C API's error functions: the calling thread's last error message, status names.
#include "gpt2.h"
#include "util/error.h"

extern "C" {

const char *gpt2_last_error(void) { return gpt2::last_error().c_str(); }

const char *gpt2_status_name(int32_t status) {
    switch (status) {
        case GPT2_OK: return "GPT2_OK";
        case GPT2_ERR_INVALID_ARGUMENT: return "GPT2_ERR_INVALID_ARGUMENT";
        case GPT2_ERR_IO: return "GPT2_ERR_IO";
        case GPT2_ERR_FORMAT: return "GPT2_ERR_FORMAT";
        case GPT2_ERR_OUT_OF_MEMORY: return "GPT2_ERR_OUT_OF_MEMORY";
        case GPT2_ERR_CONTEXT_FULL: return "GPT2_ERR_CONTEXT_FULL";
        case GPT2_ERR_BUFFER_TOO_SMALL: return "GPT2_ERR_BUFFER_TOO_SMALL";
        case GPT2_ERR_CANCELLED: return "GPT2_ERR_CANCELLED";
        case GPT2_ERR_UNSUPPORTED: return "GPT2_ERR_UNSUPPORTED";
        case GPT2_ERR_INTERNAL: return "GPT2_ERR_INTERNAL";
        default: return "GPT2_ERR_UNKNOWN";
    }
}

}  // extern "C"
