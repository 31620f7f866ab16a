#pragma once

#include "app/messagestrip.h"
#include "core/model/checkpoint.h"

namespace ckpt::app
{

// The strip above the tree for a distributed checkpoint directory (DCP or DeepSpeed ZeRO): what it is (stage,
// data-parallel world size, tag, layout version), how many tensors in how many rank files, and in amber the
// directory's problems (a missing or truncated rank file, a damaged chunk, an unsupported variant) with the
// tensors they leave incomplete. Hidden for a single file.
class DirectoryBanner : public MessageStrip
{
    Q_OBJECT
public:
    explicit DirectoryBanner(QWidget* parent = nullptr);

    void showFor(const Checkpoint& doc);
    void clear();
    bool hasProblems() const { return m_problems; }

private:
    bool m_problems = false;
};

// "DeepSpeed ZeRO stage 3, data-parallel world size 4, tag global_step10 (bf16)" or "DCP (torch 1.13 layout)".
QString distributedHeadline(const Checkpoint& doc);
// Bytes of every file the directory's document mapped (.metadata and the rank files it could open).
uint64_t directoryBytes(const Checkpoint& doc);

} // namespace ckpt::app
