%% Helper for interop-tests/tests/etf_tool.rs: writes terms (tricky fixed cases and seeded random
%% ones) as term_to_binary files plus their io_lib:format("~w") text, and checks our encodings.
-module(etf_tool_gen).
-export([write_cases/3, check_encoded/2, check_texts/2, write_ids/1, check_ids/1,
         error_location/1]).

-define(VARIANTS, [[], [compressed], [{minor_version, 1}], [{minor_version, 2}],
                   [{minor_version, 0}], [{compressed, 9}, {minor_version, 1}]]).

%% Writes Dir/I.etf and Dir/I.txt for every case; Dir/s_I.etf for maps above 32 keys, whose key
%% order may differ (checked semantically). Returns {NumberOfCases, NumberOfBigMapCases}.
write_cases(Dir, Seed, Random) ->
    rand:seed(exsss, {Seed, Seed * 7 + 1, Seed * 13 + 5}),
    Terms = fixed() ++ [gen(4) || _ <- lists:seq(1, Random)],
    Indexed = lists:zip(lists:seq(0, length(Terms) - 1), Terms),
    [begin
         Opts = lists:nth(I rem length(?VARIANTS) + 1, ?VARIANTS),
         ok = file:write_file(path(Dir, I, ".etf"), term_to_binary(T, Opts)),
         Text = unicode:characters_to_binary(io_lib:format("~w", [T])),
         ok = file:write_file(path(Dir, I, ".txt"), Text)
     end || {I, T} <- Indexed],
    Big = big_maps(),
    [ok = file:write_file(filename:join(Dir, "s_" ++ integer_to_list(I) ++ ".etf"),
                          term_to_binary(T))
     || {I, T} <- lists:zip(lists:seq(0, length(Big) - 1), Big)],
    {length(Terms), length(Big)}.

path(Dir, I, Ext) -> filename:join(Dir, integer_to_list(I) ++ Ext).

%% For each case I: binary_to_term(Dir/I.out.etf) must be =:= the term BEAM reads from Dir/I.txt
%% (or, where erl_parse cannot read ~w's text, as in `fun end:f/0`, the original term).
%% Also checks Dir/s_I.txt (our decode of big maps) against s_I.etf. Returns the mismatches.
check_encoded(Dir, {N, Big}) ->
    Small = [{I, Txt, Got} || I <- lists:seq(0, N - 1),
                              {Txt, Want} <- [text_or_original(Dir, I)],
                              Got <- [read_etf(path(Dir, I, ".out.etf"))],
                              not encoded_as(Txt, Want, Got)],
    Maps = [{s, I, Got} || I <- lists:seq(0, Big - 1),
                          {_, Want} <- [read_text(filename:join(Dir, "s_" ++ integer_to_list(I) ++ ".txt"))],
                          Got <- [read_etf(filename:join(Dir, "s_" ++ integer_to_list(I) ++ ".etf"))],
                          Got =/= {ok, Want}],
    Small ++ Maps.

%% Hand-written texts: Dir/h_I.txt evaluated by erl_eval must equal binary_to_term(Dir/h_I.etf).
check_texts(Dir, N) ->
    [{I, Txt, Got} || I <- lists:seq(0, N - 1),
                      {Txt, Want} <- [read_text(filename:join(Dir, "h_" ++ integer_to_list(I) ++ ".txt"))],
                      Got <- [read_etf(filename:join(Dir, "h_" ++ integer_to_list(I) ++ ".etf"))],
                      Got =/= {ok, Want}].

%% Our encoding is right when it gives the term BEAM reads; where BEAM cannot read the ~w text
%% either (a fun whose atoms fun_to_list printed as UTF-8 bytes), etf may refuse it (no file).
encoded_as(_, Want, {ok, Want}) -> true;
encoded_as(unparseable, _, {error, enoent}) -> true;
encoded_as(_, _, _) -> false.

text_or_original(Dir, I) ->
    try read_text(path(Dir, I, ".txt"))
    catch error:{badmatch, {error, _}} ->
        {ok, Original} = read_etf(path(Dir, I, ".etf")),
        {unparseable, Original}
    end.

read_etf(File) ->
    case file:read_file(File) of
        {ok, B} -> try {ok, binary_to_term(B)} catch C:R -> {C, R} end;
        Error -> Error
    end.

%% Reads an Erlang term from a UTF-8 text file with erl_scan/erl_parse/erl_eval.
read_text(File) ->
    {ok, Bin} = file:read_file(File),
    Text = unicode:characters_to_list(Bin),
    {ok, Tokens, End} = erl_scan:string(Text),
    Tokens1 = case lists:reverse(Tokens) of
                  [{dot, _} | _] -> Tokens;
                  _ -> Tokens ++ [{dot, End}]
              end,
    {ok, [Expr]} = erl_parse:parse_exprs(Tokens1),
    {value, Value, _} = erl_eval:expr(Expr, erl_eval:new_bindings()),
    {Text, Value}.

%% The {Line, Column} erl_parse reports for a syntax error in the text of File.
error_location(File) ->
    {ok, Bin} = file:read_file(File),
    {ok, Tokens, End} = erl_scan:string(unicode:characters_to_list(Bin), {1, 1}),
    {error, {Location, erl_parse, _}} = erl_parse:parse_exprs(Tokens ++ [{dot, End}]),
    Location.

%% Pids, ports, references and local funs: writes Dir/ids.etf (the list) and keeps it for check_ids.
write_ids(Dir) ->
    Y = 42,
    Local = fun(X) -> X + Y end,
    {ok, Tokens, _} = erl_scan:string("fun(X) -> {X, Y} end."),
    {ok, [Expr]} = erl_parse:parse_exprs(Tokens),
    {value, Eval, _} = erl_eval:expr(Expr, erl_eval:add_binding('Y', <<"y">>, erl_eval:new_bindings())),
    Pid88 = binary_to_term(<<131, 88, 119, 8, "x@remote", 1:32, 2:32, 16#FFFFFFFF:32>>),
    Pid103 = binary_to_term(<<131, 103, 119, 3, "o@h", 7:32, 8:32, 3:8>>),
    Ref90 = binary_to_term(<<131, 90, 3:16, 119, 8, "x@remote", 5:32, 1:32, 2:32, 3:32>>),
    Ref5 = binary_to_term(<<131, 90, 5:16, 119, 3, "r@h", 5:32, 1:32, 2:32, 3:32, 4:32, 5:32>>),
    Port120 = binary_to_term(<<131, 120, 119, 8, "x@remote", 16#123456789A:64, 9:32>>),
    Port89 = binary_to_term(<<131, 89, 119, 3, "p@h", 77:32, 2:32>>),
    Terms = [self(), make_ref(), hd(erlang:ports()), list_to_pid("<0.1.2>"), Local, Eval,
             fun lists:map/2, Pid88, Pid103, Ref90, Ref5, Port120, Port89,
             {Pid88, [Ref90 | Port120], #{Pid103 => Local}}],
    ok = file:write_file(filename:join(Dir, "ids.etf"), term_to_binary(Terms)),
    length(Terms).

%% Our decode then encode of ids.etf (Dir/ids2.etf) must give the same terms.
check_ids(Dir) ->
    {ok, Got} = read_etf(filename:join(Dir, "ids2.etf")),
    {ok, Want} = read_etf(filename:join(Dir, "ids.etf")),
    [{W, G} || {W, G} <- lists:zip(Want, Got), W =/= G].

%% ---- the terms ----

fixed() ->
    Atoms = ['end', 'receive', 'fun', 'maybe', 'else', 'Abc', '_a', 'a b', '\n', '\\', '\'',
             'ä', 'Äb', 'ßx', 'a@b', 'a.b', '', 'nil', '[]', true, 'hello"',
             'a\e\d\b\f\v\r\t\s', list_to_atom([16#3b1]),
             list_to_atom([200, 16#3b1, 7, 0, 127, 159, 160, 247, 215]),
             list_to_atom([16#1F600, $x]), list_to_atom(lists:duplicate(255, 16#3b1))],
    Floats = [1.0, 0.1, 1.0e20, 1.0e-10, 123456789012345680.0, -0.0, 0.0, 100.0, 1000.0,
              10000.0, 1.0e15, 1.0e16, 123.456, 1.5e300, 5.0e-324, 2.2250738585072014e-308,
              1.7976931348623157e308, -1.7976931348623157e308, 0.001, 0.0001, 0.00001,
              9007199254740991.0, 9007199254740992.0, 9007199254740994.0, 4503599627370497.5,
              120000.0, 1.0e7, 0.3, 2/3, -1/3, 1.0e22, 1.0e23, 5.0e-5, 3.0e-4],
    Ints = [0, 1, -1, 255, 256, -256, 2147483647, 2147483648, -2147483648, -2147483649,
            134217727, -134217728, 9223372036854775807, 9223372036854775808,
            -9223372036854775808, -9223372036854775809, 18446744073709551616,
            123456789012345678901234567890, -(1 bsl 2000) + 17, 1 bsl 2040],
    Others = [[], {}, #{}, <<>>, <<1, 2, 3>>, <<1:3>>, <<1, 2:3>>, <<255, 127:7>>,
              [1 | 2], [a, b | c], [[] | []], "abc", [0, 1114111], {a}, {a, {b, {c}}},
              #{a => 1, b => 2}, #{1 => x, 1.0 => y, a => z, {} => w, [] => v, <<>> => u},
              #{#{a => 1} => #{}, [1] => {1}},
              fun lists:map/2, fun erlang:'+'/2, fun 'A':'b c'/0,
              erlang:make_fun('end', 'Foo', 0), erlang:make_fun('ä', 'ßx', 255),
              erlang:make_fun('a.b', '', 3), erlang:make_fun(maybe, else, 1),
              erlang:make_fun(list_to_atom([16#3b1, $x]), list_to_atom([228, 10, $', 7, 127]), 1),
              list_to_binary(lists:seq(0, 255)),
              lists:seq(1, 300), lists:duplicate(70000, 7),
              maps:from_list([{I, I * I} || I <- lists:seq(1, 32)])],
    Atoms ++ [Atoms] ++ Floats ++ [Floats] ++ Ints ++ Others.

big_maps() ->
    [maps:from_list([{I, I} || I <- lists:seq(1, 33)]),
     maps:from_list([{gen(2), gen(2)} || _ <- lists:seq(1, 100)]),
     #{nested => maps:from_list([{{k, I}, [I]} || I <- lists:seq(1, 50)])}].

gen(0) -> leaf();
gen(D) ->
    case rand:uniform(10) of
        1 -> list_to_tuple([gen(D - 1) || _ <- lists:seq(1, rand:uniform(5) - 1)]);
        2 -> [gen(D - 1) || _ <- lists:seq(1, rand:uniform(5) - 1)];
        3 -> [gen(D - 1) || _ <- lists:seq(1, rand:uniform(3))] ++ leaf_not_list();
        4 -> maps:from_list([{gen(D - 1), gen(D - 1)} || _ <- lists:seq(1, rand:uniform(8) - 1)]);
        5 -> maps:from_list([{leaf(), gen(D - 1)} || _ <- lists:seq(1, rand:uniform(32))]);
        _ -> leaf()
    end.

leaf_not_list() ->
    case leaf() of
        L when is_list(L) -> 'tail';
        Other -> Other
    end.

leaf() ->
    case rand:uniform(12) of
        1 -> rand:uniform(600) - 300;
        2 -> (rand:uniform(1 bsl rand:uniform(300)) - 1) * (rand:uniform(2) * 2 - 3);
        3 -> random_float();
        4 -> random_float();
        5 -> random_atom();
        6 -> random_atom();
        7 -> [rand:uniform(1200) - 1 || _ <- lists:seq(1, rand:uniform(6) - 1)];
        8 -> crypto_bytes(rand:uniform(12) - 1);
        9 -> Bits = rand:uniform(7),
             B = crypto_bytes(rand:uniform(4) - 1),
             <<B/binary, (rand:uniform(1 bsl Bits) - 1):Bits>>;
        10 -> erlang:make_fun(random_ascii_atom(), random_ascii_atom(), rand:uniform(256) - 1);
        11 -> lists:nth(rand:uniform(4), [[], {}, #{}, <<>>]);
        12 -> rand:uniform(1 bsl 64) - (1 bsl 63)
    end.

crypto_bytes(N) -> list_to_binary([rand:uniform(256) - 1 || _ <- lists:seq(1, N)]).

random_float() ->
    case rand:uniform(3) of
        1 -> <<R:64>> = crypto_bytes(8),
             try <<F:64/float>> = <<R:64>>, F catch _:_ -> 1.5 end;
        2 -> (rand:uniform() - 0.5) * math:pow(10, rand:uniform(600) - 300);
        3 -> float(rand:uniform(1 bsl 60)) * math:pow(10, rand:uniform(40) - 20)
    end.

-define(ATOM_CHARS, "aAzZ09_@ '\\\n\t\e\d" ++ [0, 7, 127, 128, 159, 160, 200, 215, 223, 247, 255,
                                                   256, 945, 16#1F600]).

random_atom() ->
    case rand:uniform(3) of
        1 -> lists:nth(rand:uniform(6), [ok, 'end', 'Caps', 'with space', 'a@b', 'ü']);
        _ -> Cs = ?ATOM_CHARS,
             list_to_atom([lists:nth(rand:uniform(length(Cs)), Cs)
                           || _ <- lists:seq(1, rand:uniform(8) - 1)])
    end.

random_ascii_atom() ->
    Cs = "abcXY_@ .'\\" ++ [10, 7],
    list_to_atom([lists:nth(rand:uniform(length(Cs)), Cs) || _ <- lists:seq(1, rand:uniform(5))]).
