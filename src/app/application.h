#pragma once

class QApplication;

namespace ckpt::app
{

// Sets the application's identity (QSettings scope, icon), parses the command line
// (`[FILE]`, `--diff A B`, `--screenshots DIR`) and shows the first window; returns the exit code.
int runApplication(QApplication& app);

// `--version` output: project, Qt and (without loading it) LibTorch; printed before any window system starts.
const char* versionLine();

} // namespace ckpt::app
