// error.h — how errors travel inside the runtime and across the C boundary. The bottom layer: every other folder
// of native/src may include it, and it includes only gpt2.h (for the status codes).
//
// Inside: throw gpt2::Error(status, message). At the boundary: every C API function body runs inside
// gpt2::guard(...), which catches everything (Error, std::bad_alloc, any std::exception), stores the
// message in the thread-local last error and returns the status. Nothing escapes into C or Java.
#pragma once

#include <exception>
#include <new>
#include <string>
#include <utility>

#include "gpt2.h"

namespace gpt2 {

class Error : public std::exception {
public:
    Error(gpt2_status status, std::string message) : status_(status), message_(std::move(message)) {}
    gpt2_status status() const noexcept { return status_; }
    const char *what() const noexcept override { return message_.c_str(); }

private:
    gpt2_status status_;
    std::string message_;
};

// Thread-local last error for gpt2_last_error(); set_last_error also returns the status for chaining.
int32_t set_last_error(int32_t status, const std::string &message);
void clear_last_error();
const std::string &last_error();

// Runs fn() (which returns int32_t status) and converts any exception into status + last error.
template <typename Fn>
int32_t guard(Fn &&fn) noexcept {
    try {
        clear_last_error();
        return fn();
    } catch (const Error &e) {
        return set_last_error(e.status(), e.what());
    } catch (const std::bad_alloc &) {
        return set_last_error(GPT2_ERR_OUT_OF_MEMORY, "out of memory");
    } catch (const std::exception &e) {
        return set_last_error(GPT2_ERR_INTERNAL, std::string("internal error: ") + e.what());
    } catch (...) {
        return set_last_error(GPT2_ERR_INTERNAL, "internal error: unknown exception");
    }
}

// Throws GPT2_ERR_INVALID_ARGUMENT with MESSAGE unless COND holds. The literal overload builds no string
// unless it throws (calls on the decode path must not allocate); a message that needs values is best built
// inside `if (!cond) throw Error(...)` on hot paths.
inline void require_arg(bool cond, const std::string &message) {
    if (!cond) throw Error(GPT2_ERR_INVALID_ARGUMENT, message);
}
inline void require_arg(bool cond, const char *message) {
    if (!cond) throw Error(GPT2_ERR_INVALID_ARGUMENT, message);
}

}  // namespace gpt2
