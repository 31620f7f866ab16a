#include "core/format/safetensorsheader.h"

#include <nlohmann/json.hpp>

#include "core/io/flatnameindex.h"
#include "core/io/plainjsonsax.h"
#include "core/limits.h"

namespace ckpt
{

namespace
{

// The shortest text of a complete entry: "":{"dtype":"","shape":[],"data_offsets":[0,0]},
constexpr size_t kMinEntryText = 48;

// Depth 1: the header object (tensor names, __metadata__); depth 2: a tensor's members or a metadata entry;
// depth 3: the elements of shape and data_offsets. Anything deeper is only counted.
class HeaderSax
{
public:
    using Json = nlohmann::json;

    explicit HeaderSax(SafetensorsHeader& out) : m_out(out) {}

    bool null() { return scalar(Kind::Other); }
    bool boolean(bool) { return scalar(Kind::Other); }
    // Only negative integers come here: nlohmann reports the others as unsigned.
    bool number_integer(Json::number_integer_t) { return scalar(Kind::Other); }
    bool number_unsigned(Json::number_unsigned_t value)
    {
        m_unsigned = value;
        return scalar(Kind::Unsigned);
    }
    bool number_float(Json::number_float_t, const Json::string_t&) { return scalar(Kind::Other); }
    bool string(Json::string_t& value)
    {
        m_string = &value;
        return scalar(Kind::String);
    }
    bool binary(Json::binary_t&) { return scalar(Kind::Other); }
    bool start_object(std::size_t) { return open(false); }
    bool start_array(std::size_t) { return open(true); }
    bool end_object() { return close(); }
    bool end_array() { return close(); }
    bool key(Json::string_t& name)
    {
        if (m_depth == 1) {
            m_inMetadata = std::string_view(name) == "__metadata__"; // a view compares lengths first, no strlen
            m_metadataIsObject = false;
            m_entry = nullptr;
            if (m_inMetadata) return true;
            auto [at, fresh] = m_index.findOrAdd(name, static_cast<int32_t>(m_out.tensors.size()),
                                                 [&](int32_t entry) { return m_out.tensors[entry].name; });
            if (fresh) {
                m_out.tensors.emplace_back();
                m_out.tensors.back().name = m_out.texts.add(name);
            }
            m_entry = &m_out.tensors[static_cast<size_t>(at)];
            const std::string_view kept = m_entry->name;
            *m_entry = SafetensorsHeaderEntry{}; // a repeated name: its last value counts
            m_entry->name = kept;
        } else if (m_depth == 2 && m_inMetadata) {
            m_metadataKey = name;
        } else if (m_depth == 2 && m_entry) {
            const std::string_view member = name;
            m_field = member == "dtype"          ? Field::Dtype
                      : member == "shape"        ? Field::Shape
                      : member == "data_offsets" ? Field::Offsets
                                                 : Field::Other;
            // A member written twice: its last value counts, so each key starts it afresh.
            if (m_field == Field::Dtype) {
                m_entry->hasDtype = true;
                m_entry->dtypeIsString = false;
            } else if (m_field == Field::Shape) {
                m_entry->hasShape = true;
                m_entry->shapeIsArray = false;
                m_entry->shapeAllUnsigned = true;
                m_entry->shapeLength = 0;
                m_entry->shapeBegin = m_out.dims.size();
                m_entry->shapeStored = 0;
            } else if (m_field == Field::Offsets) {
                m_entry->hasOffsets = true;
                m_entry->offsetsIsArray = false;
                m_entry->offsetsAllUnsigned = true;
                m_entry->offsetsLength = 0;
                m_entry->offsetsStored = 0;
            }
        }
        return true;
    }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) { return false; }

    bool topIsObject() const { return m_topIsObject; }

private:
    enum class Kind { Unsigned, String, Other };
    enum class Field { Dtype, Shape, Offsets, Other };

    bool open(bool array)
    {
        if (m_depth == 0) m_topIsObject = !array;
        ++m_depth;
        if (m_depth == 2) {
            if (m_inMetadata) {
                m_metadataIsObject = !array; // anything but an object is ignored, as before
            } else if (m_entry) {
                m_entry->isObject = !array;
                m_field = Field::Other;
            }
        } else if (m_depth == 3) {
            if (m_inMetadata) {
                if (m_metadataIsObject) m_out.metadataHasNonStrings = true;
            } else if (m_entry && m_entry->isObject && m_field == Field::Shape) {
                m_entry->shapeIsArray = array;
            } else if (m_entry && m_entry->isObject && m_field == Field::Offsets) {
                m_entry->offsetsIsArray = array;
            }
        } else if (m_depth == 4 && !m_inMetadata && m_entry) {
            element(Kind::Other); // an array or object inside shape or data_offsets
        }
        return true;
    }

    bool close()
    {
        --m_depth;
        return true;
    }

    bool scalar(Kind kind)
    {
        if (m_depth == 0) m_topIsObject = false;
        if (m_depth == 2 && m_inMetadata) {
            if (!m_metadataIsObject) return true;
            if (kind == Kind::String)
                m_out.metadata[m_metadataKey] = *m_string;
            else
                m_out.metadataHasNonStrings = true;
        } else if (m_depth == 2 && m_entry && m_field == Field::Dtype) {
            m_entry->dtypeIsString = kind == Kind::String;
            if (kind == Kind::String) m_entry->dtype = m_out.texts.add(*m_string);
        } else if (m_depth == 3 && m_entry && !m_inMetadata) {
            element(kind);
        }
        return true;
    }

    void element(Kind kind)
    {
        if (!m_entry->isObject) return;
        if (m_field == Field::Shape && m_entry->shapeIsArray) {
            ++m_entry->shapeLength;
            if (kind != Kind::Unsigned)
                m_entry->shapeAllUnsigned = false;
            else if (m_entry->shapeStored <= limits::kMaxTensorRank) {
                // Only this entry's shape array is open, so its elements are the last ones of dims.
                m_out.dims.push_back(m_unsigned);
                ++m_entry->shapeStored;
            }
        } else if (m_field == Field::Offsets && m_entry->offsetsIsArray) {
            ++m_entry->offsetsLength;
            if (kind != Kind::Unsigned)
                m_entry->offsetsAllUnsigned = false;
            else if (m_entry->offsetsStored < 3)
                m_entry->offsets[m_entry->offsetsStored++] = m_unsigned;
        }
    }

    SafetensorsHeader& m_out;
    FlatNameIndex m_index; // tensor name -> its entry
    SafetensorsHeaderEntry* m_entry = nullptr;
    Field m_field = Field::Other;
    std::string m_metadataKey;
    const std::string* m_string = nullptr;
    uint64_t m_unsigned = 0;
    int m_depth = 0;
    bool m_topIsObject = false;
    bool m_inMetadata = false;
    bool m_metadataIsObject = false;
};

} // namespace

std::optional<SafetensorsHeader> readSafetensorsHeader(std::string_view text)
{
    {
        SafetensorsHeader out;
        // Room for as many entries as the text can hold complete ones, so the list is never copied as it grows;
        // the pages of the room a text full of shorter (so bad) entries leaves unused are never touched.
        out.tensors.reserve(text.size() / kMinEntryText);
        HeaderSax sax(out);
        const PlainJsonOutcome plain = sax_parse_plain(text, sax);
        if (plain == PlainJsonOutcome::Accepted)
            return sax.topIsObject() ? std::optional(std::move(out)) : std::nullopt;
        if (plain == PlainJsonOutcome::Stopped) return std::nullopt; // as sax_parse returns false
    }
    SafetensorsHeader out; // outside the plain subset: nlohmann reads it all again, on a fresh reader
    HeaderSax sax(out);
    if (!nlohmann::json::sax_parse(text, &sax) || !sax.topIsObject()) return std::nullopt;
    return out;
}

} // namespace ckpt
