#include "core/distributed/savegraph.h"

#include <algorithm>

namespace ckpt::distributed
{

const Value* GraphBuilder::global(const std::string& module, const std::string& name)
{
    Value* v = m_arena.make(ValueKind::Global);
    v->text = module;
    v->text2 = name;
    return v;
}

const Value* GraphBuilder::string(const std::string& text)
{
    Value* v = m_arena.make(ValueKind::String);
    v->text = text;
    return v;
}

const Value* GraphBuilder::integer(int64_t value)
{
    Value* v = m_arena.make(ValueKind::Int);
    v->integer = value;
    return v;
}

const Value* GraphBuilder::boolean(bool value)
{
    Value* v = m_arena.make(ValueKind::Bool);
    v->boolean = value;
    return v;
}

const Value* GraphBuilder::none()
{
    return m_arena.make(ValueKind::None);
}

Value* GraphBuilder::tuple(std::vector<const Value*> items)
{
    Value* v = m_arena.make(ValueKind::Tuple);
    v->items = std::move(items);
    return v;
}

Value* GraphBuilder::dict()
{
    return m_arena.make(ValueKind::Dict);
}

Value* GraphBuilder::orderedDict()
{
    Value* v = m_arena.make(ValueKind::Object);
    v->how = ObjectHow::Reduce;
    v->callable = global("collections", "OrderedDict");
    v->args = tuple({});
    return v;
}

const Value* GraphBuilder::torchSize(const std::vector<int64_t>& dims)
{
    std::vector<const Value*> items;
    for (int64_t d : dims)
        items.push_back(integer(d));
    Value* v = m_arena.make(ValueKind::Object);
    v->how = ObjectHow::Reduce;
    v->callable = global("torch", "Size");
    v->args = tuple({tuple(std::move(items))});
    return v;
}

Value* GraphBuilder::instance(const Value* cls, Value*& state)
{
    Value* v = m_arena.make(ValueKind::Object);
    v->how = ObjectHow::NewObj;
    v->callable = cls;
    v->args = tuple({});
    state = dict();
    v->hasState = true;
    v->state = state;
    return v;
}

const Value* GraphBuilder::tensor(const Value* pid, const std::vector<int64_t>& shape,
                                  const std::vector<int64_t>& stride)
{
    std::vector<const Value*> sizes, strides;
    for (int64_t d : shape)
        sizes.push_back(integer(d));
    for (int64_t d : stride)
        strides.push_back(integer(d));
    Value* v = m_arena.make(ValueKind::Object);
    v->how = ObjectHow::Reduce;
    v->callable = global("torch._utils", "_rebuild_tensor_v2");
    v->args =
        tuple({pid, integer(0), tuple(std::move(sizes)), tuple(std::move(strides)), boolean(false), orderedDict()});
    return v;
}

const Value* GraphBuilder::storageId(DType dtype, const std::string& key, uint64_t numel)
{
    auto cls = storageClassForDType(dtype);
    Value* pid = m_arena.make(ValueKind::PersistentId);
    pid->items = {tuple({string("storage"), global("torch", std::string(cls ? *cls : "FloatStorage")), string(key),
                         string("cpu"), integer(static_cast<int64_t>(numel))})};
    return pid;
}

} // namespace ckpt::distributed
