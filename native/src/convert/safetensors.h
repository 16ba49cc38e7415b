// safetensors.h — reading (mmap, validated header) and writing (streaming) Hugging Face .safetensors files.
//
// Layout: uint64 LE header size N; N bytes of JSON {"name": {"dtype": "F32", "shape": [..],
// "data_offsets": [begin, end]}, ..., "__metadata__": {..}} padded with spaces; then the data section, with
// offsets relative to its start. Every entry is validated on open: known dtype, non-negative shape,
// begin <= end <= data size, and (end - begin) == elements x dtype size.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace gpt2 {

struct SafetensorsEntry {
    std::string name;
    std::string dtype;            // "F32", "F16", "BF16", ...
    std::vector<int64_t> shape;   // numpy order (outermost first)
    uint64_t begin = 0, end = 0;  // within the data section
    const uint8_t *data = nullptr;

    int64_t n_elements() const;
};

class SafetensorsFile {
public:
    ~SafetensorsFile();
    // Maps PATH and validates its header. Throws gpt2::Error (IO / FORMAT) naming the file.
    static std::unique_ptr<SafetensorsFile> open(const std::string &path);

    const std::string &path() const { return path_; }
    const std::map<std::string, SafetensorsEntry> &entries() const { return entries_; }
    const SafetensorsEntry *find(const std::string &name) const;

private:
    std::string path_;
    void *map_ = nullptr;
    size_t map_len_ = 0;
    std::map<std::string, SafetensorsEntry> entries_;
};

// Converts an F32 / F16 / BF16 entry to floats (numpy order). Throws FORMAT for other dtypes; CONTEXT
// names the file for messages.
std::vector<float> safetensors_read_f32(const SafetensorsEntry &e, const std::string &context);

// Streaming F32 writer: declare all tensors, then write_header(), then write() each in declaration order.
class SafetensorsWriter {
public:
    explicit SafetensorsWriter(std::string path);
    ~SafetensorsWriter();
    void add(const std::string &name, const std::vector<int64_t> &shape);
    void write_header();
    void write(const std::string &name, const float *data, int64_t n);
    void finish();

private:
    struct T { std::string name; std::vector<int64_t> shape; uint64_t begin, end; };
    std::string path_;
    std::vector<T> tensors_;
    uint64_t size_ = 0;
    size_t next_ = 0;
    void *f_ = nullptr;   // FILE*
};

}  // namespace gpt2
