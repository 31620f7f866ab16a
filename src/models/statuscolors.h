#pragma once

#include <QColor>
#include <QIcon>
#include <QPalette>

#include "models/matchoverlay.h"

namespace ckpt::models
{

// Colours and icons for match/diff states. Each state also has its own glyph so colour is never the only cue,
// and the colours are picked per palette so they stay readable on dark themes.
class StatusColors
{
public:
    static bool isDark(const QPalette& palette);
    static QColor foreground(MatchState state, const QPalette& palette);
    static QColor background(MatchState state, const QPalette& palette); // a light tint for the whole row
    static QIcon icon(MatchState state);
    static QColor dangerColor(const QPalette& palette);
    static QIcon dangerIcon();                          // a red disc with "!", for payload rows and the security banner
    static QColor accentColor(const QPalette& palette); // device locations other than cpu
};

} // namespace ckpt::models
