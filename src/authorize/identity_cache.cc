#include "authorize/identity_cache.h"

#include <functional>

#include "crypto/jws.h"

namespace portcullis::authorize {

IdentityCache::IdentityCache(std::size_t slots) : slots_(std::max<std::size_t>(slots, 1)) {}

IdentityCache::Entry& IdentityCache::principal(std::string_view session_id,
                                               const SessionRecord& session, const UserRecord& user,
                                               const StructRecord& directory_user,
                                               std::uint64_t groups_version, SessionLookup* lookup,
                                               std::uint64_t generation) {
  Entry& entry = slots_[std::hash<std::string_view>{}(session_id) % slots_.size()];
  const Principal& p = entry.principal;
  entry.records_generation = session != nullptr ? generation : 0;
  if (entry.used && p.session_id == session_id && p.session == session && p.user == user &&
      p.directory_user == directory_user &&
      (session == nullptr || p.groups_version == groups_version)) {
    return entry;
  }
  ++principal_builds_;
  build_principal(entry.principal, session, user, directory_user, groups_version, lookup);
  entry.used = true;
  for (auto& token : entry.tokens) token.used = false;
  entry.next_token = 0;
  for (auto& decision : entry.decisions) decision.used = false;
  entry.next_decision = 0;
  return entry;
}

const policy::Decision* IdentityCache::Entry::kept_decision(std::size_t key) const {
  for (const auto& kept : decisions) {
    if (kept.used && kept.key == key) return &kept.decision;
  }
  return nullptr;
}

void IdentityCache::Entry::keep_decision(std::size_t key, const policy::Decision& decision) {
  KeptDecision* slot = nullptr;
  for (auto& kept : decisions) {
    if (kept.used && kept.key == key) slot = &kept;
  }
  if (slot == nullptr) {
    slot = &decisions[next_decision];
    next_decision = (next_decision + 1) % decisions.size();
  }
  slot->key = key;
  slot->decision = decision;
  slot->used = true;
}

IdentityCache::Entry* IdentityCache::current(std::string_view session_id,
                                             std::uint64_t generation) {
  if (generation == 0) return nullptr;
  Entry& entry = slots_[std::hash<std::string_view>{}(session_id) % slots_.size()];
  if (!entry.used || entry.records_generation != generation || !entry.principal.signed_in() ||
      entry.principal.session_id != session_id) {
    return nullptr;
  }
  return &entry;
}

const IdentityToken& IdentityCache::token(Entry& entry, std::string_view audience,
                                          const IdentitySigner& signer,
                                          std::chrono::system_clock::time_point now) {
  const auto refresh_before = crypto::unix_seconds(now) + kTokenRefreshMargin.count();
  Entry::Token* slot = nullptr;
  for (auto& token : entry.tokens) {
    if (token.used && token.audience == audience) {
      if (token.token.expires_at > refresh_before) return token.token;
      slot = &token;
      break;
    }
  }
  if (slot == nullptr) {
    slot = &entry.tokens[entry.next_token];
    entry.next_token = (entry.next_token + 1) % entry.tokens.size();
  }
  ++signatures_;
  slot->audience.assign(audience);
  slot->token = signer.sign(entry.principal, audience, now);
  slot->used = true;
  return slot->token;
}

}  // namespace portcullis::authorize
