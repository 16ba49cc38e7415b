// error.cpp — the thread-local last error of the calling thread (gpt2_last_error() in the C API reads it).
#include "util/error.h"

namespace gpt2 {

static thread_local std::string t_last_error;

int32_t set_last_error(int32_t status, const std::string &message) {
    t_last_error = message;
    return status;
}

void clear_last_error() { t_last_error.clear(); }

const std::string &last_error() { return t_last_error; }

}  // namespace gpt2

