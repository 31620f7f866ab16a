#include "core/format/shardindex.h"

#include <optional>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "core/io/flatnameindex.h"
#include "core/io/jsonvaluebuilder.h"
#include "core/io/plainjsonsax.h"
#include "core/limits.h"

namespace ckpt
{

namespace
{

using Json = nlohmann::json;

// nlohmann's message quotes the token it stopped in, which can be a string of many megabytes.
constexpr size_t kMaxParseMessage = 300;

// Depth 1: the top-level members; depth 2: a weight_map or metadata member; deeper: inside a metadata value, which
// is built as a small JSON value (its compact text is what the metadata shows).
class IndexSax
{
public:
    explicit IndexSax(ShardIndex& out) : m_out(out) {}

    bool null() { return scalar(Json(nullptr)); }
    bool boolean(bool value) { return scalar(Json(value)); }
    bool number_integer(Json::number_integer_t value) { return scalar(Json(value)); }
    bool number_unsigned(Json::number_unsigned_t value) { return scalar(Json(value)); }
    bool number_float(Json::number_float_t value, const Json::string_t&) { return scalar(Json(value)); }
    bool string(Json::string_t& value)
    {
        if (m_depth == 2 && m_inWeightMap && m_weightMapIsObject) {
            m_out.entries[m_entry].shard = internShard(value);
            return true;
        }
        return scalar(Json(std::move(value)));
    }
    bool binary(Json::binary_t&) { return scalar(Json()); } // JSON text never has binary values
    bool start_object(std::size_t) { return open(Json::value_t::object); }
    bool start_array(std::size_t) { return open(Json::value_t::array); }
    bool end_object() { return close(); }
    bool end_array() { return close(); }

    bool key(Json::string_t& name)
    {
        if (m_depth == 1) {
            m_inWeightMap = name == "weight_map";
            m_inMetadata = name == "metadata";
            if (m_inWeightMap) { // a repeated weight_map replaces the earlier one
                m_sawWeightMap = true;
                m_weightMapIsObject = false;
                m_out.entries.clear();
                m_out.shards.clear();
                m_entryByKey.clear();
                m_shardByName.clear();
                m_lastShard = -1;
            } else if (m_inMetadata) {
                m_metadataIsObject = false;
                m_out.metadata.clear();
            }
        } else if (m_depth == 2 && m_inWeightMap && m_weightMapIsObject) {
            // A repeated name keeps its first place; its value is reset here and set by the value that follows.
            auto [at, fresh] = m_entryByKey.findOrAdd(name, static_cast<int32_t>(m_out.entries.size()),
                                                      [&](int32_t entry) { return m_out.entries[entry].key; });
            if (fresh) m_out.entries.push_back(ShardIndexEntry{m_out.texts.add(name), -1});
            m_entry = static_cast<size_t>(at);
            m_out.entries[m_entry].shard = -1;
        } else if (m_depth == 2 && m_inMetadata && m_metadataIsObject) {
            m_metadataKey = name;
        } else if (m_metadataValue.building()) {
            m_metadataValue.key(name);
        }
        return true;
    }

    bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& error)
    {
        if (!m_error)
            m_error =
                makeError(Status::Corrupt,
                          "index file is not valid JSON: " + std::string(error.what()).substr(0, kMaxParseMessage),
                          position > 0 ? position - 1 : 0);
        return false;
    }

    // The outcome once sax_parse has returned.
    std::optional<Error> error() const
    {
        if (m_error) return m_error;
        if (!m_topIsObject || !m_sawWeightMap || !m_weightMapIsObject)
            return makeError(Status::Corrupt, "index file is not JSON with a \"weight_map\" object");
        return std::nullopt;
    }

private:
    bool collectingMetadata() const { return m_inMetadata && m_metadataIsObject; }

    bool open(Json::value_t type)
    {
        if (m_depth == 0) m_topIsObject = type == Json::value_t::object;
        if (m_depth == 1 && m_inWeightMap) m_weightMapIsObject = type == Json::value_t::object;
        if (m_depth == 1 && m_inMetadata) m_metadataIsObject = type == Json::value_t::object;
        if (m_depth >= 2 && collectingMetadata()) {
            m_metadataValue.open(type);
        } else if (m_depth == 2 && m_inWeightMap && m_weightMapIsObject) {
            m_out.entries[m_entry].shard = -1; // an object or array where a file name belongs
        }
        ++m_depth;
        if (m_depth > limits::kMaxSpecJsonDepth) {
            m_error =
                makeError(Status::LimitExceeded, "index file nests JSON deeper than the limit kMaxSpecJsonDepth (" +
                                                     std::to_string(limits::kMaxSpecJsonDepth) + ")");
            return false;
        }
        return true;
    }

    bool close()
    {
        --m_depth;
        if (m_depth >= 2 && collectingMetadata() && m_metadataValue.close()) finishMetadataValue();
        return true;
    }

    bool scalar(Json value)
    {
        if (m_depth == 0) m_topIsObject = false;
        if (m_depth == 1 && m_inWeightMap) m_weightMapIsObject = false;
        if (m_depth == 1 && m_inMetadata) m_metadataIsObject = false;
        if (m_depth >= 2 && collectingMetadata() && m_metadataValue.scalar(std::move(value))) finishMetadataValue();
        // weight_map values that are not strings keep shard -1, set by key().
        return true;
    }

    void finishMetadataValue()
    {
        Json value = m_metadataValue.take();
        m_out.metadata[m_metadataKey] =
            value.is_string() ? value.get<std::string>() : value.dump(-1, ' ', false, Json::error_handler_t::replace);
    }

    int internShard(const std::string& name)
    {
        // Indexes list a shard's names together: most values repeat the one before.
        if (m_lastShard >= 0 && m_out.shards[static_cast<size_t>(m_lastShard)] == name) return m_lastShard;
        auto [at, fresh] = m_shardByName.try_emplace(name, static_cast<int>(m_out.shards.size()));
        if (fresh) m_out.shards.push_back(name);
        m_lastShard = at->second;
        return m_lastShard;
    }

    ShardIndex& m_out;
    std::optional<Error> m_error;
    size_t m_depth = 0;
    bool m_topIsObject = false;
    bool m_inWeightMap = false;
    bool m_sawWeightMap = false;
    bool m_weightMapIsObject = false;
    bool m_inMetadata = false;
    bool m_metadataIsObject = false;
    size_t m_entry = 0;
    FlatNameIndex m_entryByKey; // weight_map name -> its entry
    std::unordered_map<std::string, int> m_shardByName;
    int m_lastShard = -1;
    std::string m_metadataKey;
    JsonValueBuilder m_metadataValue; // the metadata entry being read
};

} // namespace

Result<ShardIndex> readShardIndex(std::string_view text)
{
    {
        ShardIndex out;
        IndexSax sax(out);
        if (sax_parse_plain(text, sax) != PlainJsonOutcome::Unsure) {
            if (std::optional<Error> error = sax.error()) return *error;
            return out;
        }
    }
    ShardIndex out; // outside the plain subset: nlohmann reads it all again, on a fresh reader
    IndexSax sax(out);
    Json::sax_parse(text, &sax);
    if (std::optional<Error> error = sax.error()) return *error;
    return out;
}

} // namespace ckpt
