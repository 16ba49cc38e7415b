// gguf.h — reading and writing GGUF v3 files (the llama.cpp / ggml container) for the runtime.
//
// Byte layout (all integers little-endian; gguf_string = uint64 length + that many UTF-8 bytes, no NUL):
//
//   uint32  magic          "GGUF" = 0x46554747
//   uint32  version        3 (2 is read too: same layout)
//   uint64  n_tensors
//   uint64  n_kv
//   n_kv x  { gguf_string key; uint32 value_type; value }
//             value_type: 0 u8, 1 i8, 2 u16, 3 i16, 4 u32, 5 i32, 6 f32, 7 bool(1 byte), 8 string,
//                         9 array { uint32 elem_type; uint64 n; n x value (no nested arrays here) },
//                         10 u64, 11 i64, 12 f64
//   n_tensors x { gguf_string name; uint32 n_dims (1..4); uint64 ne[n_dims] (ne[0] innermost);
//                 uint32 ggml_type; uint64 offset (from the start of the data section, aligned) }
//   padding to `general.alignment` (u32 KV, default 32) with zero bytes
//   data section: each tensor's bytes at its offset; tensors padded to the alignment
//
// GgufFile::open validates all of the structure (counts bounded by the file size, string lengths, value
// types, tensor dims/types/offsets/sizes, alignment) and throws gpt2::Error naming the file on any defect.
// It does NOT know about GPT-2: model_load.cpp checks the architecture and tensor shapes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gpt2.h"

namespace gpt2 {

constexpr uint32_t GGUF_MAGIC = 0x46554747u;  // "GGUF" read as little-endian uint32
constexpr uint32_t GGUF_VERSION = 3;
constexpr uint32_t GGUF_DEFAULT_ALIGNMENT = 32;
constexpr int GGUF_MAX_DIMS = 4;

enum class GgufType : uint32_t {
    UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5, FLOAT32 = 6, BOOL = 7,
    STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12,
};
const char *gguf_type_name(GgufType t);

// One metadata value. Scalars are widened: integers and bools to i64 (u64 keeps its bits in u64),
// floats to f64. Arrays keep their element type and are stored in arr_int / arr_float / arr_str.
struct GgufValue {
    GgufType type = GgufType::UINT32;
    GgufType arr_type = GgufType::UINT32;   // element type when type == ARRAY
    int64_t i64 = 0;
    uint64_t u64 = 0;
    double f64 = 0.0;
    std::string str;
    std::vector<int64_t> arr_int;           // integer / bool arrays
    std::vector<double> arr_float;          // float arrays
    std::vector<std::string> arr_str;       // string arrays
    uint64_t arr_n = 0;

    bool is_int() const;                    // any integer type (not bool)
    bool is_float() const { return type == GgufType::FLOAT32 || type == GgufType::FLOAT64; }
};

struct GgufTensorInfo {
    std::string name;
    uint32_t n_dims = 0;
    int64_t ne[GGUF_MAX_DIMS] = {1, 1, 1, 1};
    uint32_t type = 0;                      // ggml type id
    uint64_t offset = 0;                    // relative to the data section
    const uint8_t *data = nullptr;          // into the mapping / heap copy
    size_t nbytes = 0;
};

struct GgufFile {
    std::string path;
    uint32_t version = 0;
    uint32_t alignment = GGUF_DEFAULT_ALIGNMENT;
    uint64_t file_size_bytes = 0;
    uint64_t data_offset = 0;               // absolute offset of the data section
    std::vector<std::pair<std::string, GgufValue>> kv;      // in file order
    std::vector<GgufTensorInfo> tensors;                    // in file order

    GgufFile();
    ~GgufFile();
    GgufFile(const GgufFile &) = delete;
    GgufFile &operator=(const GgufFile &) = delete;

    // Maps (use_mmap) or reads PATH and validates its structure. Throws gpt2::Error (IO / FORMAT).
    static std::unique_ptr<GgufFile> open(const std::string &path, bool use_mmap);

    const GgufValue *find(const std::string &key) const;            // nullptr if absent
    const GgufTensorInfo *find_tensor(const std::string &name) const;
    const uint8_t *bytes() const { return base_; }

private:
    const uint8_t *base_ = nullptr;
    void *map_addr_ = nullptr;
    size_t map_len_ = 0;
    void *heap_ = nullptr;
    std::map<std::string, size_t> kv_index_;
    std::map<std::string, size_t> tensor_index_;
    void parse();
};

// Bytes of a tensor of ggml type TYPE with NE (ne[0] must be a multiple of the block size). Throws
// FORMAT on unsupported types or overflow; CONTEXT names the file/tensor for the message.
uint64_t gguf_tensor_nbytes(uint32_t type, const int64_t *ne, uint32_t n_dims, const std::string &context);

// Streaming writer: add every KV and declare every tensor (name, type, shape) first, then write_header(),
// then write_tensor_data() once per tensor in declaration order, then finish(). Tensor offsets are known
// from the shapes, so a converter never holds more than one tensor in memory. Alignment: 32, or the u32
// `general.alignment` if one was set (a power of two up to 4096).
class GgufWriter {
public:
    explicit GgufWriter(std::string path);
    ~GgufWriter();

    void set_u32(const std::string &key, uint32_t v);
    void set_i32(const std::string &key, int32_t v);
    void set_u64(const std::string &key, uint64_t v);
    void set_f32(const std::string &key, float v);
    void set_bool(const std::string &key, bool v);
    void set_str(const std::string &key, const std::string &v);
    void set_arr_str(const std::string &key, const std::vector<std::string> &v);
    void set_arr_i32(const std::string &key, const std::vector<int32_t> &v);
    void set_arr_f32(const std::string &key, const std::vector<float> &v);
    // Copies a value read from another file (used by the quantizer).
    void set_value(const std::string &key, const GgufValue &v);

    // ne[0] innermost, as ggml. Returns the tensor's index.
    size_t add_tensor(const std::string &name, gpt2_type type, const std::vector<int64_t> &ne);

    void write_header();
    // Writes tensor INDEX's data (exactly its nbytes) followed by its alignment padding.
    void write_tensor_data(size_t index, const void *data, size_t nbytes);
    // Flushes and closes; throws IO on any write error. The destructor closes without checking.
    void finish();

    size_t n_tensors() const { return tensors_.size(); }
    uint64_t tensor_nbytes(size_t index) const { return tensors_.at(index).nbytes; }

private:
    struct KV { std::string key; GgufValue value; };
    struct T { std::string name; gpt2_type type; std::vector<int64_t> ne; uint64_t offset; uint64_t nbytes; };
    std::string path_;
    std::FILE *f_ = nullptr;
    std::vector<KV> kv_;
    std::vector<T> tensors_;
    uint32_t alignment_ = GGUF_DEFAULT_ALIGNMENT;   // from general.alignment at write_header
    size_t next_tensor_ = 0;
    bool header_written_ = false;
    void put(const std::string &key, GgufValue v);
    void write_bytes(const void *p, size_t n);
    void write_value(const GgufValue &v);
    void write_padding(uint64_t written_bytes);   // zeros up to the next multiple of alignment_
};

}  // namespace gpt2
