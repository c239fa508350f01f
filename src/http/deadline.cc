#include "http/deadline.h"

namespace portcullis::http {

Deadline::Deadline(DeadlineSweeper& sweeper, TcpSocket& socket)
    : sweeper_(sweeper), socket_(&socket) {
  sweeper_.add(this);
}

Deadline::~Deadline() {
  sweeper_.remove(this);
}

void DeadlineSweeper::add(Deadline* deadline) {
  deadline->slot_ = deadlines_.size();
  deadlines_.push_back(deadline);
}

void DeadlineSweeper::remove(Deadline* deadline) {
  std::size_t slot = deadline->slot_;
  Deadline* last = deadlines_.back();
  deadlines_[slot] = last;
  last->slot_ = slot;
  deadlines_.pop_back();
}

void DeadlineSweeper::sweep(Deadline::Clock::time_point now) {
  for (Deadline* deadline : deadlines_) {
    if (deadline->at_ > now && !expire_all_) continue;
    deadline->fired_ = true;
    error_code ignored;
    deadline->socket_->cancel(ignored);
  }
}

awaitable<void> DeadlineSweeper::run() {
  while (!stopped_) {
    timer_.expires_after(kInterval);
    co_await timer_.async_wait(kNoThrow);
    if (stopped_) break;
    sweep(Deadline::Clock::now());
  }
}

void DeadlineSweeper::expire_all() {
  expire_all_ = true;
  sweep(Deadline::Clock::now());
}

void DeadlineSweeper::stop() {
  stopped_ = true;
  timer_.cancel();
}

}  // namespace portcullis::http
