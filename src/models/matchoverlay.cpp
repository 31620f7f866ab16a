#include "models/matchoverlay.h"

namespace ckpt::models
{

const char* matchStateName(MatchState state)
{
    switch (state) {
    case MatchState::None:
        return "";
    case MatchState::Ok:
        return "ok";
    case MatchState::Renamed:
        return "fixable by rename";
    case MatchState::DtypeMismatch:
        return "dtype mismatch";
    case MatchState::ShapeMismatch:
        return "shape mismatch";
    case MatchState::Unexpected:
        return "unexpected";
    case MatchState::Missing:
        return "missing";
    }
    return "";
}

} // namespace ckpt::models
