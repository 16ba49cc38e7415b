// safetensors.cpp — validated mmap reader and streaming F32 writer for .safetensors (see safetensors.h).
#include "convert/safetensors.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/error.h"
#include "tensor/quant.h"
#include "util/json.h"

namespace gpt2 {

namespace {

constexpr uint64_t SAFETENSORS_MAX_HEADER_BYTES = 100u << 20;   // the format's own limit is 100 MB

[[noreturn]] void fail(const std::string &path, const std::string &what) {
    throw Error(GPT2_ERR_FORMAT, path + ": " + what);
}

// Bytes per element of a safetensors dtype; 0 if unknown.
uint64_t dtype_bytes(const std::string &d) {
    if (d == "F64" || d == "I64" || d == "U64") return 8;
    if (d == "F32" || d == "I32" || d == "U32") return 4;
    if (d == "F16" || d == "BF16" || d == "I16" || d == "U16") return 2;
    if (d == "I8" || d == "U8" || d == "BOOL" || d == "F8_E4M3" || d == "F8_E5M2") return 1;
    return 0;
}

}  // namespace

int64_t SafetensorsEntry::n_elements() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
}

SafetensorsFile::~SafetensorsFile() {
    if (map_) munmap(map_, map_len_);
}

const SafetensorsEntry *SafetensorsFile::find(const std::string &name) const {
    auto it = entries_.find(name);
    return it == entries_.end() ? nullptr : &it->second;
}

std::unique_ptr<SafetensorsFile> SafetensorsFile::open(const std::string &path) {
    std::unique_ptr<SafetensorsFile> f(new SafetensorsFile());
    f->path_ = path;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw Error(GPT2_ERR_IO, path + ": cannot open: " + std::strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        throw Error(GPT2_ERR_IO, path + ": not a readable regular file");
    }
    const uint64_t size = (uint64_t)st.st_size;
    if (size < 8) {
        ::close(fd);
        fail(path, "not a safetensors file: only " + std::to_string(size) + " bytes");
    }
    void *addr = mmap(nullptr, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (addr == MAP_FAILED) throw Error(GPT2_ERR_IO, path + ": mmap failed: " + std::strerror(errno));
    f->map_ = addr;
    f->map_len_ = (size_t)size;
    const uint8_t *base = static_cast<const uint8_t *>(addr);

    uint64_t n_header;
    std::memcpy(&n_header, base, 8);
    if (n_header > SAFETENSORS_MAX_HEADER_BYTES || n_header > size - 8) {
        fail(path, "header size " + std::to_string(n_header) + " exceeds the file (" + std::to_string(size) +
                       " bytes) or the 100 MB limit");
    }
    const std::string text(reinterpret_cast<const char *>(base + 8), (size_t)n_header);
    const JsonValue doc = json_parse(text, path + " (header)");
    if (doc.kind != JsonValue::OBJECT) fail(path, "header is not a JSON object");
    const uint64_t data_size = size - 8 - n_header;
    const uint8_t *data = base + 8 + n_header;
    for (const auto &kv : doc.obj) {
        if (kv.first == "__metadata__") continue;
        const std::string ctx = "tensor '" + kv.first + "'";
        const JsonValue &t = kv.second;
        const JsonValue *dtype = t.get("dtype");
        const JsonValue *shape = t.get("shape");
        const JsonValue *offs = t.get("data_offsets");
        if (!dtype || dtype->kind != JsonValue::STRING) fail(path, ctx + ": missing string 'dtype'");
        if (!shape || shape->kind != JsonValue::ARRAY) fail(path, ctx + ": missing array 'shape'");
        if (!offs || offs->kind != JsonValue::ARRAY || offs->arr.size() != 2) fail(path, ctx + ": 'data_offsets' must be [begin, end]");
        SafetensorsEntry e;
        e.name = kv.first;
        e.dtype = dtype->str;
        const uint64_t esize = dtype_bytes(e.dtype);
        if (esize == 0) fail(path, ctx + ": unknown dtype '" + e.dtype + "'");
        uint64_t n = 1;
        for (const JsonValue &d : shape->arr) {
            if (d.kind != JsonValue::NUMBER || !d.is_int || d.i < 0 || d.i > ((int64_t)1 << 40)) {
                fail(path, ctx + ": shape entries must be non-negative integers");
            }
            e.shape.push_back(d.i);
            if (d.i != 0 && n > (((uint64_t)1 << 62) / (uint64_t)d.i)) fail(path, ctx + ": shape overflows");
            n *= (uint64_t)d.i;
        }
        for (const JsonValue &o : offs->arr) {
            if (o.kind != JsonValue::NUMBER || !o.is_int || o.i < 0) fail(path, ctx + ": data_offsets must be non-negative integers");
        }
        e.begin = (uint64_t)offs->arr[0].i;
        e.end = (uint64_t)offs->arr[1].i;
        if (e.begin > e.end || e.end > data_size) {
            fail(path, ctx + ": data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
                           "] are outside the data section of " + std::to_string(data_size) + " bytes");
        }
        if (n > (((uint64_t)1 << 62) / esize) || e.end - e.begin != n * esize) {
            fail(path, ctx + ": byte range of " + std::to_string(e.end - e.begin) + " does not match shape x " +
                           e.dtype + " (" + std::to_string(n) + " elements)");
        }
        e.data = data + e.begin;
        if (f->entries_.count(e.name)) fail(path, ctx + ": duplicate name");
        f->entries_[e.name] = std::move(e);
    }
    return f;
}

std::vector<float> safetensors_read_f32(const SafetensorsEntry &e, const std::string &context) {
    const int64_t n = e.n_elements();
    std::vector<float> out((size_t)n);
    if (e.dtype == "F32") {
        // an empty tensor's vector has no storage: memcpy from/to null is UB even for 0 bytes (fuzz finding)
        if (n > 0) std::memcpy(out.data(), e.data, (size_t)n * 4);
    } else if (e.dtype == "F16" || e.dtype == "BF16") {
        const bool bf = e.dtype == "BF16";
        for (int64_t i = 0; i < n; ++i) {
            uint16_t h;
            std::memcpy(&h, e.data + 2 * i, 2);
            out[(size_t)i] = bf ? bf16_to_fp32(h) : fp16_to_fp32(h);
        }
    } else {
        throw Error(GPT2_ERR_FORMAT, context + ": tensor '" + e.name + "' has dtype " + e.dtype +
                                         " (supported: F32, F16, BF16)");
    }
    return out;
}

SafetensorsWriter::SafetensorsWriter(std::string path) : path_(std::move(path)) {}

SafetensorsWriter::~SafetensorsWriter() {
    if (f_) std::fclose((std::FILE *)f_);
}

void SafetensorsWriter::add(const std::string &name, const std::vector<int64_t> &shape) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    tensors_.push_back(T{name, shape, size_, size_ + (uint64_t)n * 4});
    size_ += (uint64_t)n * 4;
}

void SafetensorsWriter::write_header() {
    std::string h = "{";
    for (size_t i = 0; i < tensors_.size(); ++i) {
        const T &t = tensors_[i];
        if (i) h += ", ";
        json_append_string(h, t.name);
        h += ": {\"dtype\": \"F32\", \"shape\": [";
        for (size_t k = 0; k < t.shape.size(); ++k) h += (k ? ", " : "") + std::to_string(t.shape[k]);
        h += "], \"data_offsets\": [" + std::to_string(t.begin) + ", " + std::to_string(t.end) + "]}";
    }
    h += "}";
    while (h.size() % 8 != 0) h += ' ';
    std::FILE *f = std::fopen(path_.c_str(), "wb");
    if (!f) throw Error(GPT2_ERR_IO, path_ + ": cannot create: " + std::strerror(errno));
    f_ = f;
    const uint64_t n = h.size();
    if (std::fwrite(&n, 8, 1, f) != 1 || std::fwrite(h.data(), 1, h.size(), f) != h.size()) {
        throw Error(GPT2_ERR_IO, path_ + ": write failed");
    }
}

void SafetensorsWriter::write(const std::string &name, const float *data, int64_t n) {
    require_arg(f_ && next_ < tensors_.size() && tensors_[next_].name == name &&
                    tensors_[next_].end - tensors_[next_].begin == (uint64_t)n * 4,
                "SafetensorsWriter: '" + name + "' written out of order or with the wrong size");
    if (std::fwrite(data, 4, (size_t)n, (std::FILE *)f_) != (size_t)n) throw Error(GPT2_ERR_IO, path_ + ": write failed");
    ++next_;
}

void SafetensorsWriter::finish() {
    require_arg(f_ && next_ == tensors_.size(), "SafetensorsWriter: not every tensor was written");
    std::FILE *f = (std::FILE *)f_;
    f_ = nullptr;
    const bool bad = std::fflush(f) != 0 || std::ferror(f);
    if (std::fclose(f) != 0 || bad) throw Error(GPT2_ERR_IO, path_ + ": write failed");
}

}  // namespace gpt2
