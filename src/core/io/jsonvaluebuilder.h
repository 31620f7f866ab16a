#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ckpt
{

// Builds one JSON value from SAX events, for the SAX readers of untrusted files that keep a few values whole (a
// metadata entry, an architecture entry) and build no DOM of the rest. A member repeated inside the value keeps
// its first place and its last value, as a DOM parse would. The caller bounds the nesting (kMaxSpecJsonDepth).
class JsonValueBuilder
{
public:
    using Json = nlohmann::json;

    // Whether an array or object of the value is open (the next events belong to it).
    bool building() const { return !m_open.empty(); }
    // A scalar; true when it completes the value (it is the whole value).
    bool scalar(Json value);
    // An array or object starts.
    void open(Json::value_t type);
    // The innermost open array or object ends; true when that completes the value.
    bool close();
    // A member name inside an open object.
    void key(std::string name) { m_key = std::move(name); }
    // The completed value; the builder is empty again.
    Json take();

private:
    Json* place(Json value);

    Json m_value;
    std::string m_key;
    std::vector<Json*> m_open; // the open arrays and objects, innermost last
};

} // namespace ckpt
