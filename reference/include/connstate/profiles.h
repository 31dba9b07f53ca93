// profiles.h — the spec revisions the reference can follow.
//
// A profile is one documented reading of the connection-state rules. Each has a
// stable id (used on the command line, in case files and in reports), a one-line
// description and the document it was read from. docs/profiles/<id>.md explains
// each one and how it differs from rec-2025.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace connstate {

enum class Profile : std::uint8_t {
  Rec2025,         // REC 13 March 2025 = Editor's Draft, read literally.
  Rec2021Amended,  // REC 26 January 2021 + amendments 3 and 4 (ED Oct 2021 – Mar 2023).
  Rec2021,         // REC 26 January 2021 as published: some inputs have no defined state.
  LegacyMdn,       // The 2015–2018 Editor's Drafts that MDN still documents.
};

inline constexpr std::size_t kProfileCount = 4;
inline constexpr Profile kDefaultProfile = Profile::Rec2025;

struct ProfileInfo {
  Profile profile;
  std::string_view id;
  std::string_view description;
  std::string_view source;
};

inline constexpr std::array<ProfileInfo, kProfileCount> kProfiles = {{
    {Profile::Rec2025, "rec-2025",
     "W3C Recommendation of 13 March 2025 (= current Editor's Draft), read literally: connectionState is "
     "built on the [[IceConnectionState]] slot, so all-`completed` ICE gives `connecting`",
     "https://www.w3.org/TR/2025/REC-webrtc-20250313/ (w3c/webrtc-pc base-rec.html, commit cb5dea24)"},
    {Profile::Rec2021Amended, "rec-2021-amended",
     "REC 2021 plus amendments 3 (the SCTP transport counts) and 4 (`connecting` also covers ICE/DTLS `new`): "
     "the Editor's Draft text of Oct 2021 – Mar 2023",
     "w3c/webrtc-pc PR #2680 and PR #2687 applied to https://www.w3.org/TR/2021/REC-webrtc-20210126/"},
    {Profile::Rec2021, "rec-2021",
     "W3C Recommendation of 26 January 2021 as published: some transport mixes match no row (no state "
     "defined), and the SCTP transport is not in the transport set",
     "https://www.w3.org/TR/2021/REC-webrtc-20210126/ (w3c/webrtc-pc base-rec.html, commit 8c58da6d)"},
    {Profile::LegacyMdn, "legacy-mdn",
     "The 2015–2018 Editor's Draft semantics that MDN still documents: one pool of ICE and DTLS states, "
     "unordered rows with exclusions",
     "MDN RTCPeerConnection.connectionState (mdn/content 0274663a); w3c/webrtc-pc ED 2017-09 (PR #1593)"},
}};

constexpr const ProfileInfo& profile_info(Profile p) { return kProfiles[static_cast<std::size_t>(p)]; }
constexpr std::string_view to_string(Profile p) { return profile_info(p).id; }

constexpr std::optional<Profile> parse_profile(std::string_view id) {
  for (const auto& info : kProfiles) {
    if (info.id == id) return info.profile;
  }
  return std::nullopt;
}

}  // namespace connstate
