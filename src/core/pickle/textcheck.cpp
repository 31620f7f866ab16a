#include "core/pickle/textcheck.h"

#include <vector>

#include "core/pickle/valuechildren.h"

namespace ckpt
{

bool isValidUtf8(std::string_view text)
{
    size_t i = 0;
    while (i < text.size()) {
        auto lead = static_cast<unsigned char>(text[i]);
        size_t length = lead < 0x80                    ? 1
                        : lead >= 0xC2 && lead <= 0xDF ? 2
                        : lead >= 0xE0 && lead <= 0xEF ? 3
                        : lead >= 0xF0 && lead <= 0xF4 ? 4
                                                       : 0;
        if (length == 0 || i + length > text.size()) return false;
        for (size_t k = 1; k < length; ++k)
            if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return false;
        auto second = static_cast<unsigned char>(length > 1 ? text[i + 1] : 0);
        if ((lead == 0xE0 && second < 0xA0) || (lead == 0xF0 && second < 0x90) || (lead == 0xF4 && second > 0x8F))
            return false; // overlong, or past U+10FFFF
        i += length;
    }
    return true;
}

const Value* firstUndecodableText(const Value* root, GraphVisitor& visitor)
{
    std::vector<const Value*> pending;
    if (root && visitor.firstVisit(root)) pending.push_back(root);
    while (!pending.empty() && visitor.spend()) {
        const Value* value = pending.back();
        pending.pop_back();
        if (value->kind == ValueKind::String) {
            if (!isValidUtf8(value->text)) return value;
            continue;
        }
        if (value->isScalar()) continue;
        forEachChild(value, [&](const Value* child) {
            if (child && visitor.firstVisit(child)) pending.push_back(child);
        });
    }
    return nullptr;
}

} // namespace ckpt
