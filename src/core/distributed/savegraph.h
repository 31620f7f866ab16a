#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/model/dtype.h"
#include "core/pickle/value.h"

namespace ckpt::distributed
{

// Builds the Value graphs that the writers pickle (a consolidated state dict, a DCP chunk archive, a DCP
// `.metadata`): the same nodes the unpickler makes when it reads what torch wrote, so Pickler writes them
// with the opcodes Python's pickle uses and torch.load / pickle.load rebuild the same objects.
class GraphBuilder
{
public:
    explicit GraphBuilder(ValueArena& arena) : m_arena(arena) {}

    const Value* global(const std::string& module, const std::string& name);
    const Value* string(const std::string& text);
    const Value* integer(int64_t value);
    const Value* boolean(bool value);
    const Value* none();
    Value* tuple(std::vector<const Value*> items);
    Value* dict();
    // collections.OrderedDict(): entries are added by the caller.
    Value* orderedDict();
    // torch.Size(dims), as torch.Size.__reduce__ writes it.
    const Value* torchSize(const std::vector<int64_t>& dims);
    // An instance of a plain class as object.__reduce_ex__(2) writes it (cls.__new__(cls), then BUILD with its
    // __dict__): dataclasses such as DCP's metadata classes. Entries are added to the returned state dict.
    Value* instance(const Value* cls, Value*& state);
    // torch._utils._rebuild_tensor_v2(storage pid, 0, size, stride, False, OrderedDict()), as torch.save writes a
    // tensor that owns its storage.
    const Value* tensor(const Value* pid, const std::vector<int64_t>& shape, const std::vector<int64_t>& stride);
    // The persistent id ("storage", torch.<Dtype>Storage, key, "cpu", numel) torch.save gives a storage.
    const Value* storageId(DType dtype, const std::string& key, uint64_t numel);

private:
    ValueArena& m_arena;
};

} // namespace ckpt::distributed
