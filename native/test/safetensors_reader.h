// A minimal safetensors reader for the host-side test: the 8-byte header length, the JSON
// header (objects, strings, integer arrays: all that safetensors headers use), F32/F64/I64 data.
// Enough to replay the engine's PyTorch golden fixtures; any other input fails loudly.
#pragma once

#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace golden {

struct TensorEntry {
    std::string dtype;
    std::vector<long long> shape;
    size_t begin = 0, end = 0;  // byte range in the data section
};

class SafeTensors {
  public:
    explicit SafeTensors(const std::string& path) : path_(path) {
        std::ifstream in(path, std::ios::binary);
        if (!in) throw std::runtime_error("cannot open " + path);
        uint64_t header_size = 0;
        in.read(reinterpret_cast<char*>(&header_size), 8);
        std::string header(header_size, '\0');
        in.read(header.data(), (std::streamsize)header_size);
        data_.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        size_t at = 0;
        parse_header(header, at);
    }

    bool has(const std::string& name) const { return tensors_.count(name) != 0; }

    const std::string& meta(const std::string& key) const {
        auto it = metadata_.find(key);
        if (it == metadata_.end()) throw std::runtime_error(path_ + ": no metadata " + key);
        return it->second;
    }

    const std::vector<long long>& shape(const std::string& name) const { return entry(name).shape; }

    // Any float tensor (F32 or F64) widened to double.
    std::vector<double> doubles(const std::string& name) const {
        const TensorEntry& e = entry(name);
        std::vector<double> out;
        if (e.dtype == "F32") {
            for (float v : floats(name)) out.push_back(v);
        } else if (e.dtype == "F64") {
            out.resize((e.end - e.begin) / 8);
            std::memcpy(out.data(), data_.data() + e.begin, e.end - e.begin);
        } else {
            throw std::runtime_error(path_ + ": " + name + " is " + e.dtype + ", not a float tensor");
        }
        return out;
    }

    std::vector<float> floats(const std::string& name) const {
        const TensorEntry& e = expect(name, "F32");
        std::vector<float> out((e.end - e.begin) / 4);
        std::memcpy(out.data(), data_.data() + e.begin, e.end - e.begin);
        return out;
    }

    std::vector<long long> longs(const std::string& name) const {
        const TensorEntry& e = expect(name, "I64");
        std::vector<long long> out((e.end - e.begin) / 8);
        std::memcpy(out.data(), data_.data() + e.begin, e.end - e.begin);
        return out;
    }

  private:
    const TensorEntry& entry(const std::string& name) const {
        auto it = tensors_.find(name);
        if (it == tensors_.end()) throw std::runtime_error(path_ + ": no tensor " + name);
        return it->second;
    }

    const TensorEntry& expect(const std::string& name, const char* dtype) const {
        const TensorEntry& e = entry(name);
        if (e.dtype != dtype) throw std::runtime_error(path_ + ": " + name + " is " + e.dtype + ", expected " + dtype);
        return e;
    }

    [[noreturn]] void fail(const std::string& what) const { throw std::runtime_error(path_ + ": bad header, " + what); }

    static void skip_space(const std::string& s, size_t& at) {
        while (at < s.size() && (s[at] == ' ' || s[at] == '\n' || s[at] == '\t' || s[at] == '\r')) at++;
    }

    void expect_char(const std::string& s, size_t& at, char c) const {
        skip_space(s, at);
        if (at >= s.size() || s[at] != c) fail(std::string("expected '") + c + "'");
        at++;
    }

    std::string parse_string(const std::string& s, size_t& at) const {
        expect_char(s, at, '"');
        std::string out;
        while (at < s.size() && s[at] != '"') {
            if (s[at] == '\\') {
                at++;
                if (at >= s.size()) break;
                if (s[at] == 'u') {  // not needed by the fixtures' keys; kept verbatim
                    out += "\\u";
                } else {
                    const char c = s[at];
                    out += c == 'n' ? '\n' : c == 't' ? '\t' : c;
                }
            } else {
                out += s[at];
            }
            at++;
        }
        expect_char(s, at, '"');
        return out;
    }

    long long parse_integer(const std::string& s, size_t& at) const {
        skip_space(s, at);
        size_t used = 0;
        const long long v = std::stoll(s.substr(at, 32), &used);
        if (used == 0) fail("expected an integer");
        at += used;
        return v;
    }

    std::vector<long long> parse_integers(const std::string& s, size_t& at) const {
        std::vector<long long> out;
        expect_char(s, at, '[');
        skip_space(s, at);
        if (s[at] == ']') {
            at++;
            return out;
        }
        while (true) {
            out.push_back(parse_integer(s, at));
            skip_space(s, at);
            if (s[at] == ']') break;
            expect_char(s, at, ',');
        }
        at++;
        return out;
    }

    // {"__metadata__": {"k": "v", ...}, "name": {"dtype": "F32", "shape": [...], "data_offsets": [b, e]}, ...}
    void parse_header(const std::string& s, size_t& at) {
        expect_char(s, at, '{');
        while (true) {
            const std::string name = parse_string(s, at);
            expect_char(s, at, ':');
            expect_char(s, at, '{');
            TensorEntry e;
            skip_space(s, at);
            while (s[at] != '}') {
                const std::string key = parse_string(s, at);
                expect_char(s, at, ':');
                if (name == "__metadata__") {
                    metadata_[key] = parse_string(s, at);
                } else if (key == "dtype") {
                    e.dtype = parse_string(s, at);
                } else if (key == "shape") {
                    e.shape = parse_integers(s, at);
                } else if (key == "data_offsets") {
                    const std::vector<long long> range = parse_integers(s, at);
                    if (range.size() != 2 || range[1] < range[0] || (size_t)range[1] > data_.size())
                        fail("offsets of " + name);
                    e.begin = (size_t)range[0];
                    e.end = (size_t)range[1];
                } else {
                    fail("unexpected key " + key);
                }
                skip_space(s, at);
                if (s[at] == ',') at++;
                skip_space(s, at);
            }
            at++;
            if (name != "__metadata__") tensors_[name] = e;
            skip_space(s, at);
            if (s[at] == '}') break;
            expect_char(s, at, ',');
        }
    }

    std::string path_;
    std::vector<char> data_;
    std::map<std::string, std::string> metadata_;
    std::map<std::string, TensorEntry> tensors_;
};

}  // namespace golden
