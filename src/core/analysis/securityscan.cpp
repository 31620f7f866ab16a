#include "core/analysis/securityscan.h"

#include <map>
#include <set>
#include <tuple>

#include "core/analysis/libraryclasses.h"
#include "core/analysis/loaderpayload.h"

namespace ckpt
{

namespace
{

bool startsWith(const std::string& text, const char* prefix)
{
    size_t n = std::char_traits<char>::length(prefix);
    return text.size() >= n && text.compare(0, n, prefix) == 0;
}

bool moduleIn(const std::string& module, std::initializer_list<const char*> roots)
{
    for (const char* root : roots) {
        size_t n = std::char_traits<char>::length(root);
        if (module == root || (module.size() > n && module.compare(0, n, root) == 0 && module[n] == '.')) return true;
    }
    return false;
}

// The dataclasses and enums a torch.distributed.checkpoint `.metadata` pickle is made of, exactly, under the 1.13
// (`torch.distributed._shard...`) and 2.x module paths (pytorch-format.md, distributed-formats.md). They hold shapes,
// offsets and file names; DCP's own reader unpickles them. Nothing else of those modules is allowed by this rule.
bool isDcpMetadataRecord(const std::string& module, const std::string& name)
{
    static const std::set<std::pair<std::string, std::string>> records = {
        {"torch.distributed._shard.checkpoint.metadata", "Metadata"},
        {"torch.distributed._shard.checkpoint.metadata", "TensorStorageMetadata"},
        {"torch.distributed._shard.checkpoint.metadata", "ChunkStorageMetadata"},
        {"torch.distributed._shard.checkpoint.metadata", "BytesStorageMetadata"},
        {"torch.distributed._shard.checkpoint.metadata", "MetadataIndex"},
        {"torch.distributed._shard.checkpoint.filesystem", "_StorageInfo"},
        {"torch.distributed._shard.sharded_tensor.metadata", "TensorProperties"},
        {"torch.distributed._shard.sharded_tensor.metadata", "MEM_FORMAT_ENCODING"},
        {"torch.distributed.checkpoint.metadata", "Metadata"},
        {"torch.distributed.checkpoint.metadata", "TensorStorageMetadata"},
        {"torch.distributed.checkpoint.metadata", "ChunkStorageMetadata"},
        {"torch.distributed.checkpoint.metadata", "BytesStorageMetadata"},
        {"torch.distributed.checkpoint.metadata", "MetadataIndex"},
        {"torch.distributed.checkpoint.metadata", "TensorProperties"},
        {"torch.distributed.checkpoint.metadata", "StorageMeta"},
        {"torch.distributed.checkpoint.metadata", "_MEM_FORMAT_ENCODING"},
        {"torch.distributed.checkpoint.filesystem", "_StorageInfo"},
    };
    return records.count({module, name}) != 0;
}

// The classes a ShardedTensor (torch 1.13+, torch.distributed._shard) or DTensor (2.x) value pickles as, exactly: the
// wrapper class itself (rebuilt by _rebuild_wrapper_subclass, its state set from plain records), its shard and
// metadata dataclasses, the placement device and sharding spec records, DTensor's spec, placements and device mesh.
// They hold offsets, sizes, ranks and device names (core/format/shardedrebuild.h reads them).
bool isShardedValueRecord(const std::string& module, const std::string& name)
{
    static const std::set<std::pair<std::string, std::string>> records = {
        {"torch.distributed._shard.sharded_tensor.api", "ShardedTensor"},
        {"torch.distributed._shard.sharded_tensor.shard", "Shard"},
        {"torch.distributed._shard.metadata", "ShardMetadata"},
        {"torch.distributed._shard.sharded_tensor.metadata", "ShardedTensorMetadata"},
        {"torch.distributed._shard.sharding_spec.chunk_sharding_spec", "ChunkShardingSpec"},
        {"torch.distributed.remote_device", "_remote_device"},
        {"torch.distributed._tensor.api", "DTensor"},
        {"torch.distributed.tensor._api", "DTensor"},
        {"torch.distributed._tensor.placement_types", "DTensorSpec"},
        {"torch.distributed._tensor.placement_types", "TensorMeta"},
        {"torch.distributed._tensor.placement_types", "Shard"},
        {"torch.distributed._tensor.placement_types", "Replicate"},
        {"torch.distributed._tensor.placement_types", "_Partial"},
        {"torch.distributed.tensor._dtensor_spec", "DTensorSpec"},
        {"torch.distributed.tensor._dtensor_spec", "TensorMeta"},
        {"torch.distributed.tensor.placement_types", "Shard"},
        {"torch.distributed.tensor.placement_types", "Replicate"},
        {"torch.distributed.tensor.placement_types", "Partial"},
        {"torch.distributed.device_mesh", "DeviceMesh"},
        {"torch.distributed._tensor.device_mesh", "DeviceMesh"},
    };
    return records.count({module, name}) != 0;
}

} // namespace

Severity classifyGlobal(const std::string& module, const std::string& name, std::string* reason)
{
    auto say = [reason](Severity severity, const char* why) {
        if (reason) *reason = why;
        return severity;
    };
    // From protocol 4 Python resolves a dotted name attribute by attribute (Class.__init__.__builtins__...),
    // which reaches anything; no allowlisted module makes that safe.
    if (name.find('.') != std::string::npos)
        return say(Severity::Dangerous, "dotted name walks attributes to arbitrary objects");
    // Exact classes generated from the real libraries: checked before the module rules, so a plain-data class
    // of a module with dangerous functions (signal.Signals, pathlib.PosixPath) is not a false alarm.
    if (isLibraryClass(module, name))
        return say(Severity::Safe, "library class, rebuilt from attributes (needs the library to load)");
    if (isPayloadLoader(module, name) && !loaderIsDangerousItself(module, name))
        return say(Severity::Safe, "loads the bytes given to it as a torch file; those bytes are scanned too");
    if (isPayloadLoader(module, name))
        return say(Severity::Dangerous, "unpickles or loads what it is given: code in it would run");
    // Modules whose every callable can run commands, load code or touch files.
    if (moduleIn(module, {"os",         "posix",       "nt",         "subprocess",
                          "sys",        "socket",      "shutil",     "runpy",
                          "webbrowser", "pty",         "commands",   "importlib",
                          "code",       "codeop",      "ctypes",     "multiprocessing",
                          "pickle",     "_pickle",     "marshal",    "types",
                          "asyncio",    "requests",    "urllib",     "http",
                          "ftplib",     "telnetlib",   "smtplib",    "tempfile",
                          "pathlib",    "glob",        "io",         "_io",
                          "signal",     "threading",   "_thread",    "pdb",
                          "bdb",        "timeit",      "trace",      "platform",
                          "dill",       "cloudpickle", "joblib",     "zipimport",
                          "pkgutil",    "distutils",   "setuptools", "venv",
                          "ensurepip",  "site",        "sysconfig",  "gc",
                          "inspect",    "linecache",   "shelve",     "dbm"}))
        return say(Severity::Dangerous, "module can run commands, load code or touch files");
    if (module == "builtins") {
        static const std::set<std::string> dangerous = {
            "eval",     "exec",   "compile", "getattr",     "setattr",      "delattr",    "__import__",
            "open",     "input",  "globals", "locals",      "vars",         "breakpoint", "apply",
            "execfile", "file",   "reload",  "help",        "exit",         "quit",       "memoryview",
            "type",     "object", "super",   "classmethod", "staticmethod", "property",   "__build_class__"};
        if (dangerous.count(name)) return say(Severity::Dangerous, "builtin that evaluates code or reaches attributes");
        static const std::set<std::string> safe = {"set",   "frozenset", "bytearray", "complex",       "slice", "range",
                                                   "dict",  "list",      "tuple",     "int",           "float", "str",
                                                   "bytes", "bool",      "Ellipsis",  "NotImplemented"};
        if (safe.count(name)) return say(Severity::Safe, "plain data type");
        return say(Severity::Unknown, "builtin outside the data-type allowlist");
    }
    if (moduleIn(module, {"operator", "functools", "itertools"}) &&
        (name == "attrgetter" || name == "methodcaller" || name == "itemgetter" || name == "partial" ||
         name == "reduce" || name == "starmap"))
        return say(Severity::Dangerous, "call gadget that can reach arbitrary attributes");
    if ((module == "torch" && (name == "load" || name == "save" || name == "from_file")) ||
        (moduleIn(module, {"torch.distributed.checkpoint", "torch.distributed._shard.checkpoint"}) &&
         (name == "load" || name == "load_state_dict" || name == "save" || name == "save_state_dict")) ||
        moduleIn(module, {"torch.hub"}) || (module == "torch.jit" && name == "load") ||
        (module == "torch.serialization" && name != "_get_layout") ||
        moduleIn(module, {"torch._C._jit", "torch.utils.cpp_extension", "torch.package", "torch._dynamo",
                          "torch.distributed.rpc"}))
        return say(Severity::Dangerous, "torch function that loads or compiles code");

    // Known data: how torch.save writes tensors, storages, dtypes and containers.
    if (module == "torch._utils" && startsWith(name, "_rebuild_")) return say(Severity::Safe, "torch tensor rebuild");
    if (module == "torch._tensor" && name == "_rebuild_from_type_v2")
        return say(Severity::Safe, "torch tensor rebuild");
    if (module == "torch.serialization" && name == "_get_layout") return say(Severity::Safe, "torch sparse layout");
    if (module == "torch" &&
        (name.find("Storage") != std::string::npos || name.find("Tensor") != std::string::npos ||
         dtypeFromTorchName(name) || name == "Size" || name == "device" || name == "dtype" || name == "layout" ||
         startsWith(name, "per_") || startsWith(name, "sparse_") || name == "strided" || name == "memory_format" ||
         name == "contiguous_format" || name == "channels_last"))
        return say(Severity::Safe, "torch data type");
    if (isShardedValueRecord(module, name))
        return say(Severity::Safe, "ShardedTensor/DTensor record (shard offsets, sizes, ranks, device names)");
    if (isDcpMetadataRecord(module, name))
        return say(Severity::Safe, "torch.distributed.checkpoint metadata record (shapes, offsets, file names)");
    if (module == "torch.nn.parameter" &&
        (name == "Parameter" || name == "UninitializedParameter" || name == "UninitializedBuffer" || name == "Buffer"))
        return say(Severity::Safe, "torch parameter");
    if (module == "collections" && (name == "OrderedDict" || name == "defaultdict" || name == "Counter" ||
                                    name == "deque" || name == "namedtuple"))
        return say(Severity::Safe, "standard container");
    if (module == "_codecs" && name == "encode") return say(Severity::Safe, "bytes literal (protocol 2)");
    if (module == "argparse" && name == "Namespace")
        return say(Severity::Safe, "argparse.Namespace (plain attributes)");
    if ((module == "numpy.core.multiarray" || module == "numpy._core.multiarray") &&
        (name == "_reconstruct" || name == "scalar"))
        return say(Severity::Safe, "numpy array data");
    if (module == "numpy" && (name == "ndarray" || name == "dtype" || startsWith(name, "float") ||
                              startsWith(name, "int") || startsWith(name, "uint") || name == "bool_"))
        return say(Severity::Safe, "numpy data type");
    if (startsWith(module, "__torch__")) return say(Severity::Safe, "TorchScript class (interpreted, not Python code)");
    if (module == "torch.jit._pickle" || (module == "torch" && name == "_utils"))
        return say(Severity::Safe, "TorchScript container tag");
    if (module == "copyreg" && (name == "_reconstructor" || name == "__newobj__" || name == "__newobj_ex__"))
        return say(Severity::Unknown, "generic object reconstruction");
    if (module == "__main__") return say(Severity::Unknown, "class from the saving script; needs its source to load");
    return say(Severity::Unknown, "not on the allowlist; would import third-party code when loaded in Python");
}

void recordGlobals(Checkpoint& doc, const std::vector<GlobalSeen>& seen, const std::string& via,
                   const std::string& viaLoader)
{
    using Key = std::tuple<std::string, std::string, std::string>;
    std::map<Key, size_t> index;
    for (const GlobalRef& existing : doc.globals)
        index.emplace(Key(existing.module, existing.name, existing.via), &existing - doc.globals.data());
    for (const GlobalSeen& global : seen) {
        Key key(global.module, global.name, via);
        auto it = index.find(key);
        if (it != index.end()) {
            doc.globals[it->second].count++;
            continue;
        }
        GlobalRef ref;
        ref.module = global.module;
        ref.name = global.name;
        ref.offset = global.offset;
        ref.count = 1;
        ref.via = via;
        ref.viaLoader = viaLoader;
        ref.severity = classifyGlobal(global.module, global.name, &ref.reason);
        if (ref.severity == Severity::Dangerous)
            doc.findings.push_back({Severity::Dangerous, "imports " + ref.module + "." + ref.name +
                                                             (via.empty() ? "" : " " + via) + " (" + ref.reason +
                                                             "); it was recorded, not run"});
        index.emplace(std::move(key), doc.globals.size());
        doc.globals.push_back(std::move(ref));
    }
}

} // namespace ckpt
