#pragma once

#include "app/messagestrip.h"
#include "core/model/checkpoint.h"

namespace ckpt::app
{

// The strip above everything else that says what is wrong with a file before anything else is read: red for a
// file that imports code torch.load would run (with how many rows in the tree hold the payload), amber for a
// file with findings (what torch would refuse or warn about). Hidden for a clean file.
class SecurityBanner : public MessageStrip
{
    Q_OBJECT
public:
    explicit SecurityBanner(QWidget* parent = nullptr);

    void showFor(const Checkpoint& doc, int payloadRows);
    void clear();
    bool isDangerous() const { return m_dangerous; }

private:
    bool m_dangerous = false;
};

} // namespace ckpt::app
