// gguf_write.cpp — streaming GGUF v3 writer: metadata and tensor infos first, then each tensor's bytes in
// declaration order, each padded to the alignment: 32 (ggml's default) unless a u32 `general.alignment`
// key was set. Offsets are consecutive padded sizes, which ggml's reader requires; the output is what
// llama.cpp's gguf-py writes for the same content.
#include "gguf/gguf.h"

#include <cerrno>
#include <cstring>

#include "util/error.h"
#include "tensor/tensor.h"

namespace gpt2 {

namespace {
constexpr uint64_t MAX_ALIGNMENT_BYTES = 4096;   // largest general.alignment the writer pads to
}  // namespace

GgufWriter::GgufWriter(std::string path) : path_(std::move(path)) {}

GgufWriter::~GgufWriter() {
    if (f_) std::fclose(f_);
}

void GgufWriter::put(const std::string &key, GgufValue v) {
    for (KV &kv : kv_) {
        if (kv.key == key) {
            kv.value = std::move(v);
            return;
        }
    }
    kv_.push_back(KV{key, std::move(v)});
}

void GgufWriter::set_u32(const std::string &key, uint32_t v) {
    GgufValue x;
    x.type = GgufType::UINT32;
    x.u64 = v;
    x.i64 = v;
    put(key, std::move(x));
}

void GgufWriter::set_i32(const std::string &key, int32_t v) {
    GgufValue x;
    x.type = GgufType::INT32;
    x.i64 = v;
    x.u64 = (uint64_t)(int64_t)v;
    put(key, std::move(x));
}

void GgufWriter::set_u64(const std::string &key, uint64_t v) {
    GgufValue x;
    x.type = GgufType::UINT64;
    x.u64 = v;
    x.i64 = (int64_t)v;
    put(key, std::move(x));
}

void GgufWriter::set_f32(const std::string &key, float v) {
    GgufValue x;
    x.type = GgufType::FLOAT32;
    x.f64 = v;
    put(key, std::move(x));
}

void GgufWriter::set_bool(const std::string &key, bool v) {
    GgufValue x;
    x.type = GgufType::BOOL;
    x.i64 = v ? 1 : 0;
    x.u64 = (uint64_t)x.i64;
    put(key, std::move(x));
}

void GgufWriter::set_str(const std::string &key, const std::string &v) {
    GgufValue x;
    x.type = GgufType::STRING;
    x.str = v;
    put(key, std::move(x));
}

void GgufWriter::set_arr_str(const std::string &key, const std::vector<std::string> &v) {
    GgufValue x;
    x.type = GgufType::ARRAY;
    x.arr_type = GgufType::STRING;
    x.arr_str = v;
    x.arr_n = v.size();
    put(key, std::move(x));
}

void GgufWriter::set_arr_i32(const std::string &key, const std::vector<int32_t> &v) {
    GgufValue x;
    x.type = GgufType::ARRAY;
    x.arr_type = GgufType::INT32;
    x.arr_int.assign(v.begin(), v.end());
    x.arr_n = v.size();
    put(key, std::move(x));
}

void GgufWriter::set_arr_f32(const std::string &key, const std::vector<float> &v) {
    GgufValue x;
    x.type = GgufType::ARRAY;
    x.arr_type = GgufType::FLOAT32;
    x.arr_float.assign(v.begin(), v.end());
    x.arr_n = v.size();
    put(key, std::move(x));
}

void GgufWriter::set_value(const std::string &key, const GgufValue &v) { put(key, v); }

size_t GgufWriter::add_tensor(const std::string &name, gpt2_type type, const std::vector<int64_t> &ne) {
    require_arg(!header_written_, "GgufWriter: add_tensor after write_header");
    require_arg(!name.empty() && name.size() < 64, "GgufWriter: tensor name '" + name + "' must be 1..63 bytes");
    require_arg(!ne.empty() && ne.size() <= (size_t)GGUF_MAX_DIMS, "GgufWriter: tensor '" + name + "' needs 1..4 dims");
    for (const T &t : tensors_) require_arg(t.name != name, "GgufWriter: duplicate tensor '" + name + "'");
    int64_t shape[GGUF_MAX_DIMS] = {1, 1, 1, 1};
    for (size_t i = 0; i < ne.size(); ++i) {
        require_arg(ne[i] > 0, "GgufWriter: tensor '" + name + "' has a non-positive dimension");
        shape[i] = ne[i];
    }
    const uint64_t nbytes = gguf_tensor_nbytes((uint32_t)type, shape, (uint32_t)ne.size(), path_ + ": tensor '" + name + "'");
    tensors_.push_back(T{name, type, ne, 0, nbytes});   // offsets are laid out by write_header
    return tensors_.size() - 1;
}

void GgufWriter::write_bytes(const void *p, size_t n) {
    if (n && std::fwrite(p, 1, n, f_) != n) {
        throw Error(GPT2_ERR_IO, path_ + ": write failed: " + std::strerror(errno));
    }
}

namespace {
template <typename T>
void put_le(std::vector<uint8_t> &buf, T v) {
    uint8_t b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    buf.insert(buf.end(), b, b + sizeof(T));
}

void put_str(std::vector<uint8_t> &buf, const std::string &s) {
    put_le<uint64_t>(buf, s.size());
    buf.insert(buf.end(), s.begin(), s.end());
}

void put_scalar(std::vector<uint8_t> &buf, GgufType t, int64_t i, uint64_t u, double f, const std::string &s) {
    switch (t) {
        case GgufType::UINT8: put_le<uint8_t>(buf, (uint8_t)i); break;
        case GgufType::INT8: put_le<int8_t>(buf, (int8_t)i); break;
        case GgufType::UINT16: put_le<uint16_t>(buf, (uint16_t)i); break;
        case GgufType::INT16: put_le<int16_t>(buf, (int16_t)i); break;
        case GgufType::UINT32: put_le<uint32_t>(buf, (uint32_t)i); break;
        case GgufType::INT32: put_le<int32_t>(buf, (int32_t)i); break;
        case GgufType::UINT64: put_le<uint64_t>(buf, u); break;
        case GgufType::INT64: put_le<int64_t>(buf, i); break;
        case GgufType::FLOAT32: put_le<float>(buf, (float)f); break;
        case GgufType::FLOAT64: put_le<double>(buf, f); break;
        case GgufType::BOOL: put_le<uint8_t>(buf, i ? 1 : 0); break;
        case GgufType::STRING: put_str(buf, s); break;
        case GgufType::ARRAY: break;
    }
}
}  // namespace

void GgufWriter::write_value(const GgufValue &v) {
    std::vector<uint8_t> buf;
    put_le<uint32_t>(buf, (uint32_t)v.type);
    if (v.type == GgufType::ARRAY) {
        put_le<uint32_t>(buf, (uint32_t)v.arr_type);
        const std::string empty;
        if (v.arr_type == GgufType::STRING) {
            put_le<uint64_t>(buf, v.arr_str.size());
            for (const std::string &s : v.arr_str) put_str(buf, s);
        } else if (v.arr_type == GgufType::FLOAT32 || v.arr_type == GgufType::FLOAT64) {
            put_le<uint64_t>(buf, v.arr_float.size());
            for (double d : v.arr_float) put_scalar(buf, v.arr_type, 0, 0, d, empty);
        } else {
            put_le<uint64_t>(buf, v.arr_int.size());
            for (int64_t i : v.arr_int) put_scalar(buf, v.arr_type, i, (uint64_t)i, 0.0, empty);
        }
    } else {
        put_scalar(buf, v.type, v.i64, v.u64, v.f64, v.str);
    }
    write_bytes(buf.data(), buf.size());
}

void GgufWriter::write_header() {
    require_arg(!header_written_, "GgufWriter: header already written");
    alignment_ = GGUF_DEFAULT_ALIGNMENT;
    for (const KV &kv : kv_) {
        if (kv.key != "general.alignment") continue;
        const uint64_t a = kv.value.u64;
        require_arg(kv.value.type == GgufType::UINT32 && a != 0 && (a & (a - 1)) == 0 && a <= MAX_ALIGNMENT_BYTES,
                    "GgufWriter: general.alignment must be a u32 power of two <= 4096");
        alignment_ = (uint32_t)a;
    }
    uint64_t offset = 0;
    for (T &t : tensors_) {
        t.offset = offset;
        offset += (t.nbytes + alignment_ - 1) / alignment_ * alignment_;
    }
    f_ = std::fopen(path_.c_str(), "wb");
    if (!f_) throw Error(GPT2_ERR_IO, path_ + ": cannot create: " + std::strerror(errno));
    std::vector<uint8_t> buf;
    put_le<uint32_t>(buf, GGUF_MAGIC);
    put_le<uint32_t>(buf, GGUF_VERSION);
    put_le<uint64_t>(buf, tensors_.size());
    put_le<uint64_t>(buf, kv_.size());
    write_bytes(buf.data(), buf.size());
    uint64_t pos = buf.size();
    for (const KV &kv : kv_) {
        buf.clear();
        put_str(buf, kv.key);
        write_bytes(buf.data(), buf.size());
        pos += buf.size();
        const long before = std::ftell(f_);
        write_value(kv.value);
        pos += (uint64_t)(std::ftell(f_) - before);
    }
    for (const T &t : tensors_) {
        buf.clear();
        put_str(buf, t.name);
        put_le<uint32_t>(buf, (uint32_t)t.ne.size());
        for (int64_t n : t.ne) put_le<uint64_t>(buf, (uint64_t)n);
        put_le<uint32_t>(buf, (uint32_t)t.type);
        put_le<uint64_t>(buf, t.offset);
        write_bytes(buf.data(), buf.size());
        pos += buf.size();
    }
    write_padding(pos);
    header_written_ = true;
}

void GgufWriter::write_tensor_data(size_t index, const void *data, size_t nbytes) {
    require_arg(header_written_, "GgufWriter: write_header must come before tensor data");
    require_arg(index == next_tensor_ && index < tensors_.size(),
                "GgufWriter: tensor data must be written in declaration order");
    const T &t = tensors_[index];
    require_arg(nbytes == t.nbytes, "GgufWriter: tensor '" + t.name + "' expects " + std::to_string(t.nbytes) +
                                        " bytes, got " + std::to_string(nbytes));
    write_bytes(data, nbytes);
    write_padding(nbytes);
    ++next_tensor_;
}

void GgufWriter::write_padding(uint64_t written_bytes) {
    const uint8_t zeros[MAX_ALIGNMENT_BYTES] = {0};
    write_bytes(zeros, (size_t)((alignment_ - written_bytes % alignment_) % alignment_));
}

void GgufWriter::finish() {
    require_arg(header_written_, "GgufWriter: finish before write_header");
    if (next_tensor_ != tensors_.size()) {
        throw Error(GPT2_ERR_INTERNAL, path_ + ": only " + std::to_string(next_tensor_) + " of " +
                                           std::to_string(tensors_.size()) + " tensors were written");
    }
    std::FILE *f = f_;
    f_ = nullptr;
    if (std::fflush(f) != 0 || std::ferror(f)) {
        std::fclose(f);
        throw Error(GPT2_ERR_IO, path_ + ": write failed: " + std::strerror(errno));
    }
    if (std::fclose(f) != 0) throw Error(GPT2_ERR_IO, path_ + ": close failed: " + std::strerror(errno));
}

}  // namespace gpt2
