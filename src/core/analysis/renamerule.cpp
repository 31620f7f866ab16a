#include "core/analysis/renamerule.h"

#include <nlohmann/json.hpp>

namespace ckpt
{

namespace
{

bool startsWith(const std::string& text, const std::string& prefix)
{
    return text.size() >= prefix.size() && text.compare(0, prefix.size(), prefix) == 0;
}

// Removes every dot-separated component equal to `component`, except the last one (a tensor named
// "module" is a real name, not a wrapper).
std::string dropComponent(const std::string& key, const std::string& component)
{
    std::string out;
    size_t start = 0;
    while (start <= key.size()) {
        size_t dot = key.find('.', start);
        bool last = dot == std::string::npos;
        std::string part = key.substr(start, last ? std::string::npos : dot - start);
        if (last || part != component) {
            if (!out.empty()) out += '.';
            out += part;
        }
        if (last) break;
        start = dot + 1;
    }
    return out;
}

std::string quoteList(const std::vector<std::string>& items)
{
    std::string text;
    for (size_t i = 0; i < items.size(); ++i) {
        if (i) text += ", ";
        text += "`" + items[i] + "`";
        std::string origin = wrapperOrigin(items[i]);
        if (!origin.empty()) text += " (" + origin + ")";
    }
    return text;
}

} // namespace

std::string RenameRule::apply(const std::string& key) const
{
    std::string out = key;
    for (const std::string& prefix : stripPrefixes)
        if (startsWith(out, prefix)) out.erase(0, prefix.size());
    for (const std::string& component : dropComponents)
        out = dropComponent(out, component);
    std::string added;
    for (const std::string& prefix : addPrefixes)
        added += prefix;
    return added + out;
}

std::string RenameRule::describe() const
{
    if (empty()) return "keep every key as it is";
    std::string text;
    auto append = [&text](const std::string& part) {
        if (!text.empty()) text += "; ";
        text += part;
    };
    if (!stripPrefixes.empty()) append("remove " + quoteList(stripPrefixes));
    if (!dropComponents.empty()) {
        std::string parts;
        for (size_t i = 0; i < dropComponents.size(); ++i)
            parts += (i ? ", `" : "`") + dropComponents[i] + "`";
        append("drop the inner wrapper component " + parts);
    }
    if (!addPrefixes.empty()) append("add " + quoteList(addPrefixes));
    return text;
}

nlohmann::json RenameRule::toJson() const
{
    return nlohmann::json{
        {"strip", stripPrefixes}, {"drop_components", dropComponents}, {"add", addPrefixes}, {"text", describe()}};
}

std::string wrapperOrigin(const std::string& prefix)
{
    if (prefix == "module.") return "DataParallel/DDP wrapper";
    if (prefix == "module.module.") return "doubled DataParallel/DDP wrapper";
    if (prefix == "_orig_mod.") return "torch.compile wrapper";
    if (prefix == "_fsdp_wrapped_module.") return "FSDP wrapper";
    if (prefix == "_checkpoint_wrapped_module.") return "activation checkpointing wrapper";
    if (prefix == "model.") return "Lightning module attribute";
    if (prefix == "base_model.model.") return "PEFT wrapper";
    if (prefix == "_orig_mod.module.") return "torch.compile over DataParallel";
    if (prefix == "module._orig_mod.") return "DataParallel over torch.compile";
    return "";
}

} // namespace ckpt
