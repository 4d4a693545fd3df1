#pragma once
// A tiny hand-written protobuf encoder for ONNX model files in tests: messages are built field by field with
// onnx.proto's field numbers, so the tests need neither the onnx headers (private to the library) nor a
// protobuf library.
//
//   ModelProto: 1 ir_version, 2 producer_name, 7 graph, 8 opset_import (OperatorSetIdProto: 1 domain, 2 version)
//   GraphProto: 1 node, 2 name, 5 initializer, 11 input, 12 output
//   NodeProto: 1 input, 2 output, 3 name, 4 op_type, 5 attribute, 7 domain
//   TensorProto: 1 dims, 2 data_type, 4 float_data, 7 int64_data, 8 name, 9 raw_data, 13 external_data
//                (StringStringEntryProto: 1 key, 2 value), 14 data_location (1 = EXTERNAL)
//   AttributeProto: 1 name, 2 f, 3 i, 4 s, 5 t, 7 floats, 8 ints, 20 type (1 FLOAT, 2 INT, 3 STRING, 4 TENSOR,
//                   6 FLOATS, 7 INTS)
//   ValueInfoProto: 1 name, 2 type; TypeProto: 1 tensor_type (1 elem_type, 2 shape), 4 sequence_type;
//   TensorShapeProto: 1 dim (1 dim_value, 2 dim_param)
#include <xvis/tensor/tensor.hpp>

#include "image/temp_dir.hpp"

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace xvis::test {

// A protobuf message under construction.
struct Pb {
    std::string b;
    void varint(std::uint64_t v) {
        while (v >= 0x80) {
            b += static_cast<char>((v & 0x7f) | 0x80);
            v >>= 7;
        }
        b += static_cast<char>(v);
    }
    Pb& i64(int field, std::int64_t v) {
        varint(static_cast<std::uint64_t>(field) << 3);
        varint(static_cast<std::uint64_t>(v));
        return *this;
    }
    Pb& str(int field, const std::string& s) {
        varint((static_cast<std::uint64_t>(field) << 3) | 2);
        varint(s.size());
        b += s;
        return *this;
    }
    Pb& msg(int field, const Pb& m) { return str(field, m.b); }
    Pb& f32(int field, float v) {
        varint((static_cast<std::uint64_t>(field) << 3) | 5);
        char bytes[4];
        std::memcpy(bytes, &v, 4);
        b.append(bytes, 4);
        return *this;
    }
};

inline std::string float_bytes(const Tensor& t) { return std::string(reinterpret_cast<const char*>(t.data()), t.size() * 4); }

// A float32 initializer holding `t`: raw_data, or packed float_data.
inline Pb tensor(const std::string& name, const Tensor& t, bool raw = true) {
    Pb p;
    for (auto d : t.shape()) p.i64(1, static_cast<std::int64_t>(d));
    p.i64(2, 1).str(8, name);  // data_type FLOAT
    return raw ? p.str(9, float_bytes(t)) : p.str(4, float_bytes(t));  // raw_data, or packed float_data
}

// An int64 initializer of shape `dims` ({n} for a 1-D list) holding `values` as raw_data.
inline Pb int64_tensor(const std::string& name, const std::vector<std::int64_t>& dims, const std::vector<std::int64_t>& values) {
    Pb p;
    for (auto d : dims) p.i64(1, d);
    p.i64(2, 7).str(8, name);  // data_type INT64
    return p.str(9, std::string(reinterpret_cast<const char*>(values.data()), values.size() * 8));
}
inline Pb int64_tensor(const std::string& name, const std::vector<std::int64_t>& values) {
    return int64_tensor(name, {static_cast<std::int64_t>(values.size())}, values);
}

inline Pb attr_ints(const std::string& name, std::vector<std::int64_t> v) {
    Pb a;
    a.str(1, name).i64(20, 7);  // INTS
    for (auto x : v) a.i64(8, x);
    return a;
}
inline Pb attr_int(const std::string& name, std::int64_t v) { return Pb().str(1, name).i64(20, 2).i64(3, v); }
inline Pb attr_float(const std::string& name, float v) { return Pb().str(1, name).i64(20, 1).f32(2, v); }
inline Pb attr_tensor(const std::string& name, const Pb& t) { return Pb().str(1, name).i64(20, 4).msg(5, t); }

inline Pb node(const std::string& op, const std::string& name, std::vector<std::string> in, std::vector<std::string> out,
               std::vector<Pb> attrs = {}, const std::string& domain = "") {
    Pb n;
    for (auto& s : in) n.str(1, s);
    for (auto& s : out) n.str(2, s);
    if (!name.empty()) n.str(3, name);
    n.str(4, op);
    for (auto& a : attrs) n.msg(5, a);
    if (!domain.empty()) n.str(7, domain);
    return n;
}

// A float tensor value of shape ["N", dims_after_batch...] (a symbolic batch).
inline Pb value_info(const std::string& name, std::vector<std::int64_t> dims_after_batch) {
    Pb shape;
    shape.msg(1, Pb().str(2, "N"));
    for (auto d : dims_after_batch) shape.msg(1, Pb().i64(1, d));
    Pb tensor_type;
    tensor_type.i64(1, 1).msg(2, shape);
    return Pb().str(1, name).msg(2, Pb().msg(1, tensor_type));
}

// A tensor value of fixed shape `dims` (every dim a number, the batch included) and element type `elem_type`
// (1 float, 7 int64).
inline Pb value_info_fixed(const std::string& name, std::vector<std::int64_t> dims, std::int64_t elem_type = 1) {
    Pb shape;
    for (auto d : dims) shape.msg(1, Pb().i64(1, d));
    Pb tensor_type;
    tensor_type.i64(1, elem_type).msg(2, shape);
    return Pb().str(1, name).msg(2, Pb().msg(1, tensor_type));
}

inline std::string model_bytes(const std::vector<Pb>& nodes, const std::vector<Pb>& inits, const std::vector<Pb>& inputs,
                               const std::vector<Pb>& outputs, std::int64_t opset = 13) {
    Pb g;
    for (auto& n : nodes) g.msg(1, n);
    g.str(2, "torch_jit");
    for (auto& t : inits) g.msg(5, t);
    for (auto& v : inputs) g.msg(11, v);
    for (auto& v : outputs) g.msg(12, v);
    Pb m;
    m.i64(1, 8).str(2, "pytorch").msg(7, g).msg(8, Pb().i64(2, opset));
    return m.b;
}

inline void write(const std::string& path, const std::string& bytes) {
    xvis::testing::write_bytes(path, std::vector<unsigned char>(bytes.begin(), bytes.end()));
}

}  // namespace xvis::test
