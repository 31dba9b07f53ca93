// connections.h — the two kinds of connection of the live server: an HTTP connection (requests,
// then possibly the WebSocket upgrade) and a WebSocket connection (a probe's page session or a viewer).
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <memory>
#include <string>

#include "hub.h"

namespace connstate::live::internal {

enum class Role { Probe, Viewer };

// Reads requests from a new TCP connection and answers them; hands upgrades to start_websocket.
void start_http_connection(std::shared_ptr<Hub> hub, boost::asio::ip::tcp::socket socket);

// Completes the WebSocket handshake of an upgrade request already read and checked.
void start_websocket(std::shared_ptr<Hub> hub, boost::beast::tcp_stream stream,
                     boost::beast::http::request<boost::beast::http::empty_body> request, Role role, std::string peer,
                     std::string origin);

}  // namespace connstate::live::internal
