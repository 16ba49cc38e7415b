// gguf_read.cpp — maps (or reads) a GGUF file and validates its whole structure before anything uses it.
// The byte layout is documented in gguf.h. Every count and length is checked against the bytes left in
// the file before anything is allocated, so a corrupt count can never cause a huge allocation.
#include "gguf/gguf.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/error.h"
#include "tensor/tensor.h"

namespace gpt2 {

namespace {

constexpr uint32_t GGUF_MAX_NAME_BYTES = 256;        // ggml allows 64; be lenient but bounded
constexpr uint64_t GGUF_MAX_TENSORS = 1u << 20;
constexpr size_t HEAP_ALIGN_BYTES = 64;
// Arrays grow as their elements are actually read; reserving more than this up front could turn a corrupt
// (but file-size-bounded) count into an allocation several times the file size.
constexpr uint64_t MAX_ARRAY_RESERVE = 1u << 16;

[[noreturn]] void fail(const std::string &path, const std::string &what) {
    throw Error(GPT2_ERR_FORMAT, path + ": " + what);
}

// Bounds-checked little-endian cursor over the file bytes.
struct Cursor {
    const uint8_t *p;
    uint64_t size;
    uint64_t pos = 0;
    const std::string &path;

    uint64_t left() const { return size - pos; }
    void need(uint64_t n, const char *what) {
        if (n > left()) {
            fail(path, std::string("truncated file: ") + what + " at byte " + std::to_string(pos) + " needs " +
                           std::to_string(n) + " bytes, only " + std::to_string(left()) + " left");
        }
    }
    template <typename T>
    T read(const char *what) {
        need(sizeof(T), what);
        T v;
        std::memcpy(&v, p + pos, sizeof(T));
        pos += sizeof(T);
        return v;
    }
    std::string read_string(const char *what, uint64_t max_len) {
        const uint64_t n = read<uint64_t>(what);
        if (n > max_len) {
            fail(path, std::string(what) + " at byte " + std::to_string(pos - 8) + " has length " +
                           std::to_string(n) + " (limit " + std::to_string(max_len) + ")");
        }
        need(n, what);
        std::string s(reinterpret_cast<const char *>(p + pos), (size_t)n);
        pos += n;
        return s;
    }
};

// Smallest encoded size of one value of type T (used to bound array counts).
uint64_t min_value_bytes(GgufType t) {
    switch (t) {
        case GgufType::UINT8: case GgufType::INT8: case GgufType::BOOL: return 1;
        case GgufType::UINT16: case GgufType::INT16: return 2;
        case GgufType::UINT32: case GgufType::INT32: case GgufType::FLOAT32: return 4;
        case GgufType::UINT64: case GgufType::INT64: case GgufType::FLOAT64: case GgufType::STRING: return 8;
        case GgufType::ARRAY: return 12;
    }
    return 1;
}

bool valid_type(uint32_t t) { return t <= (uint32_t)GgufType::FLOAT64; }

// Reads one scalar of type T into V (widened).
void read_scalar(Cursor &c, GgufType t, GgufValue &v, const std::string &key) {
    const char *what = "metadata value";
    switch (t) {
        case GgufType::UINT8:  v.i64 = c.read<uint8_t>(what);  v.u64 = (uint64_t)v.i64; break;
        case GgufType::INT8:   v.i64 = c.read<int8_t>(what);   v.u64 = (uint64_t)v.i64; break;
        case GgufType::UINT16: v.i64 = c.read<uint16_t>(what); v.u64 = (uint64_t)v.i64; break;
        case GgufType::INT16:  v.i64 = c.read<int16_t>(what);  v.u64 = (uint64_t)v.i64; break;
        case GgufType::UINT32: v.i64 = c.read<uint32_t>(what); v.u64 = (uint64_t)v.i64; break;
        case GgufType::INT32:  v.i64 = c.read<int32_t>(what);  v.u64 = (uint64_t)v.i64; break;
        case GgufType::UINT64: v.u64 = c.read<uint64_t>(what); v.i64 = (int64_t)v.u64; break;
        case GgufType::INT64:  v.i64 = c.read<int64_t>(what);  v.u64 = (uint64_t)v.i64; break;
        case GgufType::FLOAT32: v.f64 = c.read<float>(what); break;
        case GgufType::FLOAT64: v.f64 = c.read<double>(what); break;
        case GgufType::BOOL: {
            const uint8_t b = c.read<uint8_t>(what);
            if (b > 1) fail(c.path, "metadata '" + key + "': bool value " + std::to_string(b) + " is not 0 or 1");
            v.i64 = b;
            v.u64 = b;
            break;
        }
        case GgufType::STRING: v.str = c.read_string("metadata string", c.left()); break;
        case GgufType::ARRAY: fail(c.path, "metadata '" + key + "': nested arrays are not supported");
    }
}

}  // namespace

const char *gguf_type_name(GgufType t) {
    switch (t) {
        case GgufType::UINT8: return "u8";
        case GgufType::INT8: return "i8";
        case GgufType::UINT16: return "u16";
        case GgufType::INT16: return "i16";
        case GgufType::UINT32: return "u32";
        case GgufType::INT32: return "i32";
        case GgufType::FLOAT32: return "f32";
        case GgufType::BOOL: return "bool";
        case GgufType::STRING: return "string";
        case GgufType::ARRAY: return "array";
        case GgufType::UINT64: return "u64";
        case GgufType::INT64: return "i64";
        case GgufType::FLOAT64: return "f64";
    }
    return "?";
}

bool GgufValue::is_int() const {
    switch (type) {
        case GgufType::UINT8: case GgufType::INT8: case GgufType::UINT16: case GgufType::INT16:
        case GgufType::UINT32: case GgufType::INT32: case GgufType::UINT64: case GgufType::INT64: return true;
        default: return false;
    }
}

uint64_t gguf_tensor_nbytes(uint32_t type, const int64_t *ne, uint32_t n_dims, const std::string &context) {
    if (!type_is_supported(type)) {
        throw Error(GPT2_ERR_FORMAT, context + ": unsupported tensor type " + std::to_string(type) +
                                         " (supported: f32=0 f16=1 q4_0=2 q4_1=3 q5_0=6 q5_1=7 q8_0=8 q2_K=10 "
                                         "q3_K=11 q4_K=12 q5_K=13 q6_K=14 iq4_nl=20 bf16=30)");
    }
    const gpt2_type t = (gpt2_type)type;
    const int64_t bs = type_block_size(t);
    if (ne[0] % bs != 0) {
        throw Error(GPT2_ERR_FORMAT, context + ": ne[0]=" + std::to_string(ne[0]) + " is not a multiple of the " +
                                         type_name(t) + " block size " + std::to_string(bs));
    }
    constexpr uint64_t limit = (uint64_t)1 << 62;
    uint64_t rows = 1;
    for (uint32_t i = 1; i < n_dims; ++i) {
        if (ne[i] <= 0 || (uint64_t)ne[i] > limit / rows) throw Error(GPT2_ERR_FORMAT, context + ": shape overflows");
        rows *= (uint64_t)ne[i];
    }
    const uint64_t row_bytes = (uint64_t)(ne[0] / bs) * type_block_bytes(t);
    if (row_bytes != 0 && rows > limit / row_bytes) throw Error(GPT2_ERR_FORMAT, context + ": shape overflows");
    return rows * row_bytes;
}

GgufFile::GgufFile() = default;

GgufFile::~GgufFile() {
    if (map_addr_) munmap(map_addr_, map_len_);
    std::free(heap_);
}

const GgufValue *GgufFile::find(const std::string &key) const {
    auto it = kv_index_.find(key);
    return it == kv_index_.end() ? nullptr : &kv[it->second].second;
}

const GgufTensorInfo *GgufFile::find_tensor(const std::string &name) const {
    auto it = tensor_index_.find(name);
    return it == tensor_index_.end() ? nullptr : &tensors[it->second];
}

std::unique_ptr<GgufFile> GgufFile::open(const std::string &path, bool use_mmap) {
    std::unique_ptr<GgufFile> f(new GgufFile());
    f->path = path;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw Error(GPT2_ERR_IO, path + ": cannot open: " + std::strerror(errno));
    struct FdCloser { int fd; ~FdCloser() { ::close(fd); } } closer{fd};
    struct stat st;
    if (fstat(fd, &st) != 0) throw Error(GPT2_ERR_IO, path + ": cannot stat: " + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) throw Error(GPT2_ERR_IO, path + ": not a regular file");
    const uint64_t size = (uint64_t)st.st_size;
    f->file_size_bytes = size;
    if (size < 24) fail(path, "not a GGUF file: only " + std::to_string(size) + " bytes (a header needs 24)");
    if (size > (uint64_t)SIZE_MAX / 2) throw Error(GPT2_ERR_IO, path + ": file too large for this platform");
    if (use_mmap) {
        void *addr = mmap(nullptr, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (addr == MAP_FAILED) throw Error(GPT2_ERR_IO, path + ": mmap failed: " + std::strerror(errno));
        f->map_addr_ = addr;
        f->map_len_ = (size_t)size;
        f->base_ = static_cast<const uint8_t *>(addr);
    } else {
        void *mem = nullptr;
        if (posix_memalign(&mem, HEAP_ALIGN_BYTES, (size_t)size) != 0 || !mem) {
            throw Error(GPT2_ERR_OUT_OF_MEMORY, path + ": cannot allocate " + std::to_string(size) + " bytes");
        }
        f->heap_ = mem;
        uint64_t done = 0;
        while (done < size) {
            const ssize_t n = ::pread(fd, (uint8_t *)mem + done, (size_t)(size - done), (off_t)done);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) throw Error(GPT2_ERR_IO, path + ": read failed at byte " + std::to_string(done));
            done += (uint64_t)n;
        }
        f->base_ = static_cast<const uint8_t *>(mem);
    }
    f->parse();
    return f;
}

void GgufFile::parse() {
    Cursor c{base_, file_size_bytes, 0, path};
    const uint32_t magic = c.read<uint32_t>("magic");
    if (magic != GGUF_MAGIC) fail(path, "not a GGUF file (bad magic bytes)");
    version = c.read<uint32_t>("version");
    if (version != 2 && version != 3) {
        fail(path, "unsupported GGUF version " + std::to_string(version) + " (expected 3" +
                       (version > 0xffff ? "; big-endian file?" : "") + ")");
    }
    const uint64_t n_tensors = c.read<uint64_t>("tensor count");
    const uint64_t n_kv = c.read<uint64_t>("metadata count");
    // each tensor info takes >= 8 (name) + 4 + 8 + 4 + 8 bytes; each KV >= 8 + 4 + 1
    if (n_tensors > GGUF_MAX_TENSORS || n_tensors > c.left() / 32) {
        fail(path, "tensor count " + std::to_string(n_tensors) + " is impossible for a file of " +
                       std::to_string(file_size_bytes) + " bytes");
    }
    if (n_kv > c.left() / 13) {
        fail(path, "metadata count " + std::to_string(n_kv) + " is impossible for a file of " +
                       std::to_string(file_size_bytes) + " bytes");
    }

    for (uint64_t i = 0; i < n_kv; ++i) {
        std::string key = c.read_string("metadata key", 65535);
        if (key.empty()) fail(path, "metadata entry " + std::to_string(i) + " has an empty key");
        if (kv_index_.count(key)) fail(path, "duplicate metadata key '" + key + "'");
        const uint32_t t = c.read<uint32_t>("metadata value type");
        if (!valid_type(t)) fail(path, "metadata '" + key + "' has invalid value type " + std::to_string(t));
        GgufValue v;
        v.type = (GgufType)t;
        if (v.type == GgufType::ARRAY) {
            const uint32_t et = c.read<uint32_t>("array element type");
            if (!valid_type(et)) fail(path, "metadata '" + key + "' has invalid array element type " + std::to_string(et));
            v.arr_type = (GgufType)et;
            if (v.arr_type == GgufType::ARRAY) fail(path, "metadata '" + key + "': nested arrays are not supported");
            const uint64_t n = c.read<uint64_t>("array length");
            if (n > c.left() / min_value_bytes(v.arr_type)) {
                fail(path, "metadata '" + key + "' array length " + std::to_string(n) + " exceeds the file size");
            }
            v.arr_n = n;
            GgufValue e;
            if (v.arr_type == GgufType::STRING) {
                v.arr_str.reserve((size_t)std::min(n, MAX_ARRAY_RESERVE));
                for (uint64_t j = 0; j < n; ++j) v.arr_str.push_back(c.read_string("array string", c.left()));
            } else if (v.arr_type == GgufType::FLOAT32 || v.arr_type == GgufType::FLOAT64) {
                v.arr_float.reserve((size_t)std::min(n, MAX_ARRAY_RESERVE));
                for (uint64_t j = 0; j < n; ++j) {
                    read_scalar(c, v.arr_type, e, key);
                    v.arr_float.push_back(e.f64);
                }
            } else {
                v.arr_int.reserve((size_t)std::min(n, MAX_ARRAY_RESERVE));
                for (uint64_t j = 0; j < n; ++j) {
                    read_scalar(c, v.arr_type, e, key);
                    v.arr_int.push_back(e.i64);
                }
            }
        } else {
            read_scalar(c, v.type, v, key);
        }
        kv_index_[key] = kv.size();
        kv.emplace_back(std::move(key), std::move(v));
    }

    alignment = GGUF_DEFAULT_ALIGNMENT;
    if (const GgufValue *a = find("general.alignment")) {
        if (a->type != GgufType::UINT32) fail(path, "general.alignment must be u32, is " + std::string(gguf_type_name(a->type)));
        if (a->u64 == 0 || (a->u64 & (a->u64 - 1)) != 0 || a->u64 > (1u << 20)) {
            fail(path, "general.alignment " + std::to_string(a->u64) + " is not a power of two");
        }
        alignment = (uint32_t)a->u64;
    }

    tensors.reserve((size_t)std::min(n_tensors, MAX_ARRAY_RESERVE));
    for (uint64_t i = 0; i < n_tensors; ++i) {
        GgufTensorInfo ti;
        ti.name = c.read_string("tensor name", GGUF_MAX_NAME_BYTES);
        if (ti.name.empty()) fail(path, "tensor " + std::to_string(i) + " has an empty name");
        if (tensor_index_.count(ti.name)) fail(path, "duplicate tensor '" + ti.name + "'");
        const std::string ctx = path + ": tensor '" + ti.name + "'";
        ti.n_dims = c.read<uint32_t>("tensor n_dims");
        if (ti.n_dims < 1 || ti.n_dims > (uint32_t)GGUF_MAX_DIMS) {
            throw Error(GPT2_ERR_FORMAT, ctx + ": n_dims " + std::to_string(ti.n_dims) + " is not in 1..4");
        }
        for (uint32_t d = 0; d < ti.n_dims; ++d) {
            const int64_t ne = c.read<int64_t>("tensor shape");
            if (ne <= 0 || ne > ((int64_t)1 << 40)) {
                throw Error(GPT2_ERR_FORMAT, ctx + ": dimension " + std::to_string(d) + " has invalid size " + std::to_string(ne));
            }
            ti.ne[d] = ne;
        }
        ti.type = c.read<uint32_t>("tensor type");
        ti.offset = c.read<uint64_t>("tensor offset");
        ti.nbytes = (size_t)gguf_tensor_nbytes(ti.type, ti.ne, ti.n_dims, ctx);
        if (ti.offset % alignment != 0) {
            throw Error(GPT2_ERR_FORMAT, ctx + ": offset " + std::to_string(ti.offset) + " is not aligned to " +
                                             std::to_string(alignment));
        }
        tensor_index_[ti.name] = tensors.size();
        tensors.push_back(std::move(ti));
    }

    data_offset = (c.pos + alignment - 1) / alignment * alignment;
    if (n_tensors > 0 && data_offset > file_size_bytes) {
        fail(path, "truncated file: the data section would start at byte " + std::to_string(data_offset) +
                       " past the end (" + std::to_string(file_size_bytes) + " bytes)");
    }
    const uint64_t data_size = n_tensors > 0 ? file_size_bytes - data_offset : 0;
    for (GgufTensorInfo &ti : tensors) {
        if (ti.offset > data_size || ti.nbytes > data_size - ti.offset) {
            fail(path, "truncated file: tensor '" + ti.name + "' needs bytes " + std::to_string(ti.offset) + ".." +
                           std::to_string(ti.offset + (uint64_t)ti.nbytes) + " of a data section of " +
                           std::to_string(data_size) + " bytes");
        }
        ti.data = base_ + data_offset + ti.offset;
    }
}

}  // namespace gpt2
