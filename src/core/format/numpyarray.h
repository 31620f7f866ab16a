#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/model/dtype.h"
#include "core/pickle/value.h"

namespace ckpt
{

// A numpy array or scalar as a pickle describes it, read without running numpy:
//   ndarray: REDUCE(numpy.core.multiarray._reconstruct, (numpy.ndarray, (0,), b'b')) then
//            BUILD (version, shape, dtype, is_fortran, raw bytes)   [numpy's ndarray.__reduce__/__setstate__]
//   scalar:  REDUCE(numpy.core.multiarray.scalar, (dtype, raw bytes))
//   dtype:   REDUCE(numpy.dtype, ('f8', False, True)) then BUILD (3, '<', ...)  [byte order in state[1]]
// (numpy 2 spells the module numpy._core.multiarray.)
struct NumpyArray {
    DType dtype = DType::Unknown;
    std::vector<int64_t> shape;
    std::vector<int64_t> stride; // elements; C order, or Fortran order when the pickle says so
    std::shared_ptr<const std::string> bytes;
    std::string problem; // why the bytes cannot be used as this array; empty when fine
};

// True for the _reconstruct/scalar REDUCE nodes of arrays with a plain numeric dtype (object, string
// and structured arrays stay ordinary values, shown as their parts).
bool isNumpyArrayNode(const Value* v);
// Reads the node (isNumpyArrayNode must hold). The bytes are copied out of the pickle value.
NumpyArray readNumpyArray(const Value* v);

} // namespace ckpt
