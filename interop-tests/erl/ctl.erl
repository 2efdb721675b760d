%% Test control module: reads one Erlang expression per line on stdin, evaluates it (bindings
%% persist between lines) and prints the result on one marked line, so a test can drive this node.
-module(ctl).
-export([start/0]).

start() ->
    io:setopts([{encoding, unicode}]),
    io:format("~n@@CTL-READY@@~n"),
    loop(erl_eval:new_bindings()).

loop(Bindings) ->
    case io:get_line('') of
        eof -> erlang:halt(0);
        {error, _} -> erlang:halt(0);
        Line ->
            {Reply, Bindings1} = eval(unicode:characters_to_list(Line), Bindings),
            io:format("~n@@CTL-~ts@@~n", [Reply]),
            loop(Bindings1)
    end.

eval(Text, Bindings) ->
    try
        {ok, Tokens, _} = erl_scan:string(Text),
        {ok, Exprs} = erl_parse:parse_exprs(Tokens),
        {value, Value, Bindings1} = erl_eval:exprs(Exprs, Bindings),
        {["OK ", one_line(Value)], Bindings1}
    catch
        Class:Reason:Stack ->
            {["ERROR ", one_line({Class, Reason, Stack})], Bindings}
    end.

one_line(Term) ->
    Text = lists:flatten(io_lib:format("~999999999tp", [Term])),
    [C || C <- Text, C =/= $\n].
