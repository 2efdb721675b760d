# The HTTP layer with the book's routes (POST /add_entry, GET /entries, 404 otherwise) on a small
# HTTP/1.1 server over :gen_tcp, in place of Plug/Cowboy. Bad input gets a 400 naming the problem.
defmodule Todo.Web do
  use GenServer

  @acceptors 4
  @idle_timeout :timer.seconds(60)

  def child_spec(_arg) do
    %{id: __MODULE__, start: {__MODULE__, :start_link, []}}
  end

  def start_link do
    GenServer.start_link(__MODULE__, Application.fetch_env!(:todo, :http_port))
  end

  # The listener: opens the port (so a taken port fails the boot) and starts the acceptors.
  @impl GenServer
  def init(port) do
    {:ok, listen_socket} =
      :gen_tcp.listen(port, [:binary, packet: :http_bin, active: false, reuseaddr: true])

    Enum.each(1..@acceptors, fn _ -> spawn_link(fn -> accept_loop(listen_socket) end) end)
    {:ok, listen_socket}
  end

  defp accept_loop(listen_socket) do
    {:ok, socket} = :gen_tcp.accept(listen_socket)
    connection = spawn(fn -> receive(do: (:go -> serve(socket))) end)
    :ok = :gen_tcp.controlling_process(socket, connection)
    send(connection, :go)
    accept_loop(listen_socket)
  end

  # One connection: requests one after another (keep-alive) until the client closes or asks to.
  defp serve(socket) do
    case read_request(socket) do
      {:ok, method, target, keep_alive?} ->
        {status, body} = respond(method, target)

        case send_response(socket, status, body, keep_alive?) do
          :ok when keep_alive? -> serve(socket)
          _closed_or_done -> :gen_tcp.close(socket)
        end

      {:bad_request, reason} ->
        send_response(socket, 400, "bad request: #{reason}", false)
        :gen_tcp.close(socket)

      :closed ->
        :gen_tcp.close(socket)
    end
  end

  defp read_request(socket) do
    case :gen_tcp.recv(socket, 0, @idle_timeout) do
      {:ok, {:http_request, method, {:abs_path, target}, version}} ->
        read_headers(socket, method, target, keep_alive_default(version), 0)

      {:ok, {:http_request, _method, _target, _version}} ->
        {:bad_request, "unsupported request target"}

      {:ok, {:http_error, line}} ->
        {:bad_request, inspect(line)}

      {:error, _} ->
        :closed
    end
  end

  defp keep_alive_default({1, 1}), do: true
  defp keep_alive_default(_), do: false

  defp read_headers(socket, method, target, keep_alive?, content_length) do
    case :gen_tcp.recv(socket, 0, @idle_timeout) do
      {:ok, {:http_header, _, :Connection, _, value}} ->
        keep_alive? =
          case String.downcase(value) do
            "close" -> false
            "keep-alive" -> true
            _ -> keep_alive?
          end

        read_headers(socket, method, target, keep_alive?, content_length)

      {:ok, {:http_header, _, :"Content-Length", _, value}} ->
        case Integer.parse(value) do
          {length, ""} when length >= 0 ->
            read_headers(socket, method, target, keep_alive?, length)

          _ ->
            {:bad_request, "bad content-length"}
        end

      {:ok, {:http_header, _, _name, _, _value}} ->
        read_headers(socket, method, target, keep_alive?, content_length)

      {:ok, :http_eoh} ->
        # The body is read and ignored: the book takes every parameter from the query string.
        case skip_body(socket, content_length) do
          :ok -> {:ok, method, target, keep_alive?}
          :error -> :closed
        end

      {:ok, {:http_error, line}} ->
        {:bad_request, inspect(line)}

      {:error, _} ->
        :closed
    end
  end

  defp skip_body(_socket, 0), do: :ok

  defp skip_body(socket, length) do
    :ok = :inet.setopts(socket, packet: :raw)
    result = :gen_tcp.recv(socket, length, @idle_timeout)
    :ok = :inet.setopts(socket, packet: :http_bin)

    case result do
      {:ok, _body} -> :ok
      {:error, _} -> :error
    end
  end

  defp send_response(socket, status, body, keep_alive?) do
    reason = %{
      200 => "OK",
      400 => "Bad Request",
      404 => "Not Found",
      500 => "Internal Server Error"
    }

    head = [
      "HTTP/1.1 #{status} #{Map.fetch!(reason, status)}\r\n",
      "content-type: text/plain; charset=utf-8\r\n",
      "content-length: #{byte_size(body)}\r\n",
      "connection: #{if keep_alive?, do: "keep-alive", else: "close"}\r\n\r\n"
    ]

    :gen_tcp.send(socket, [head, body])
  end

  # The book's router. The request's process is the to-do server's client, so a request on
  # this node may run its call on the node that hosts the list's server.
  defp respond(method, target) do
    {path, query} =
      case String.split(target, "?", parts: 2) do
        [path, query] -> {path, query}
        [path] -> {path, ""}
      end

    with {:ok, params} <- decode_query(query) do
      route(method, path, params)
    end
  catch
    kind, reason ->
      IO.puts("Request #{target} failed: #{Exception.format_banner(kind, reason)}")
      {500, "internal server error"}
  end

  defp route(:POST, "/add_entry", params) do
    with {:ok, list_name} <- fetch_param(params, "list"),
         {:ok, title} <- fetch_param(params, "title"),
         {:ok, date} <- fetch_date(params) do
      list_name
      |> Todo.Cache.server_process()
      |> Todo.Server.add_entry(%{title: title, date: date})

      {200, "OK"}
    end
  end

  defp route(:GET, "/entries", params) do
    with {:ok, list_name} <- fetch_param(params, "list"),
         {:ok, date} <- fetch_date(params) do
      entries =
        list_name
        |> Todo.Cache.server_process()
        |> Todo.Server.entries(date)

      {200, Enum.map_join(entries, "\n", &"#{&1.date} #{&1.title}")}
    end
  end

  defp route(_method, _path, _params), do: {404, "not found"}

  defp decode_query(query) do
    {:ok, URI.decode_query(query)}
  rescue
    ArgumentError -> {400, "bad query string"}
  end

  defp fetch_param(params, name) do
    case Map.fetch(params, name) do
      {:ok, value} -> {:ok, value}
      :error -> {400, "missing parameter: #{name}"}
    end
  end

  defp fetch_date(params) do
    with {:ok, text} <- fetch_param(params, "date") do
      case Date.from_iso8601(text) do
        {:ok, date} -> {:ok, date}
        {:error, _} -> {400, "bad date: #{inspect(text)} (expected YYYY-MM-DD)"}
      end
    end
  end
end
