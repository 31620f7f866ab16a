#include "core/io/jsonvaluebuilder.h"

namespace ckpt
{

JsonValueBuilder::Json* JsonValueBuilder::place(Json value)
{
    if (m_open.empty()) {
        m_value = std::move(value);
        return &m_value;
    }
    Json& parent = *m_open.back();
    if (parent.is_array()) {
        parent.push_back(std::move(value));
        return &parent.back();
    }
    Json& member = parent[m_key]; // a repeated member: the last value counts, its first place stays
    member = std::move(value);
    return &member;
}

bool JsonValueBuilder::scalar(Json value)
{
    place(std::move(value));
    return m_open.empty();
}

void JsonValueBuilder::open(Json::value_t type)
{
    m_open.push_back(place(Json(type)));
}

bool JsonValueBuilder::close()
{
    m_open.pop_back();
    return m_open.empty();
}

JsonValueBuilder::Json JsonValueBuilder::take()
{
    Json out = std::move(m_value);
    m_value = Json();
    return out;
}

} // namespace ckpt
