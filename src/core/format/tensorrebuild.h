#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/format/torchgraph.h"
#include "core/graph/graphvisitor.h"
#include "core/model/checkpoint.h"

namespace ckpt
{

// Recognises torch's tensor rebuild calls in the value graph (torch._utils._rebuild_tensor_v2 and friends)
// and turns them into TensorInfo, creating StorageInfo entries from persistent ids on first reference.
// Reads no tensor bytes: it checks that every view fits inside its storage and records a problem when not.
class TensorRebuilder
{
public:
    // Every rebuild and emission runs under `visitor`'s budgets (shared with the walk that finds the tensors).
    TensorRebuilder(Checkpoint& doc, RecordLocator locate, GraphVisitor& visitor)
        : m_doc(doc), m_locate(std::move(locate)), m_visitor(visitor)
    {
    }

    bool isTensorNode(const Value* v) const;
    // Appends the tensor (and its sparse/quantized components) at `path`; returns its index in doc.tensors, or -1
    // when the walk's budget ran out. `depth`: how deep `path` lies in the graph walk.
    int emit(const Value* node, const Path& path, size_t depth = 0);
    // The index of the first tensor emitted for `node`, or -1.
    int emittedIndex(const Value* node) const
    {
        auto it = m_emitted.find(node);
        return it == m_emitted.end() ? -1 : it->second;
    }

private:
    struct Prototype {
        TensorInfo info;
        std::vector<std::pair<std::string, const Value*>> parts; // component name, tensor node
        std::shared_ptr<ShardedValue> sharded; // a ShardedTensor/DTensor: parts are its local tensors, in order
    };
    Prototype parse(const Value* node, size_t nesting);
    void parseCall(const Value* function, const Value* args, Prototype& proto, size_t nesting);
    void parseStrided(const ValueList<const Value*>& a, size_t sizeAt, Prototype& proto,
                      std::optional<DType> dtypeOverride);
    void parseNumpy(const Value* node, TensorInfo& info);
    void parseWrapperSubclass(const ValueList<const Value*>& fromTypeArgs, Prototype& proto);
    int storageFor(const Value* pid, std::optional<DType> dtypeOverride, TensorInfo& info);
    void checkBounds(TensorInfo& info) const;

    bool isRebuildCallable(const Value* callable) const;

    Checkpoint& m_doc;
    RecordLocator m_locate;
    GraphVisitor& m_visitor;
    std::unordered_set<const Value*> m_parsing;      // rebuild calls being parsed (emit's on-path set is the visitor's)
    std::unordered_map<const Value*, int> m_emitted; // node -> its first tensor in doc.tensors
    int findStorage(const std::string& key) const;
    void rememberStorage(const std::string& key, int index);

    // torch's decimal keys index a vector (no hashing for the 40k storages of a big state dict); other
    // keys view the persistent ids' strings, which live as long as the document's arena.
    std::vector<int> m_storageByNumber;
    std::unordered_map<std::string_view, int> m_storageByKey;
    // Pickles memoize their GLOBALs, so a few callable nodes recur for every tensor: their verdicts are
    // cached by address instead of comparing module and name strings each time.
    mutable std::vector<std::pair<const Value*, bool>> m_callableVerdicts;
    bool m_warnedBareStorageTuple = false;
};

// Reads a shape/stride: a tuple of ints or torch.Size((...)). False when it is neither.
bool readIntTuple(const Value* v, std::vector<int64_t>& out);

} // namespace ckpt
