//! End-to-end tests: the real headless browser (one Servo instance, tests run in order)
//! against pages served on 127.0.0.1, the `clef` CLI, and the window under Xvfb.
//!
//! A custom harness because Servo is single-threaded and heavy to start: one instance
//! serves every in-process test. `cargo test --test e2e -- NAME` runs the tests whose names
//! contain NAME.

mod acting;
mod agent_loop;
mod browsing;
mod cli;
mod egress;
mod errors;
mod find;
mod guard;
mod harness;
mod mcp;
mod mcp_client;
mod mcp_window;
mod passwords;
mod policy;
mod profile;
mod pull;
mod reading;
mod user_scripts;
mod window;

use std::process::ExitCode;

pub use clef_tests::fixtures;

fn main() -> ExitCode {
    let code = harness::run(&[
        (
            "load_reads_title_and_text",
            browsing::load_reads_title_and_text,
        ),
        (
            "mouse_click_changes_the_dom",
            browsing::mouse_click_changes_the_dom,
        ),
        ("typing_fills_an_input", browsing::typing_fills_an_input),
        (
            "enter_key_submits_a_form",
            browsing::enter_key_submits_a_form,
        ),
        (
            "enter_sends_a_form_whose_button_is_a_button",
            browsing::enter_sends_a_form_whose_button_is_a_button,
        ),
        (
            "link_then_back_and_forward",
            browsing::link_then_back_and_forward,
        ),
        ("wheel_scrolls_the_page", browsing::wheel_scrolls_the_page),
        (
            "screenshot_shows_the_page_colours",
            browsing::screenshot_shows_the_page_colours,
        ),
        ("several_pages_at_once", browsing::several_pages_at_once),
        ("eval_returns_typed_json", browsing::eval_returns_typed_json),
        (
            "dialogs_do_not_block_headless",
            browsing::dialogs_do_not_block_headless,
        ),
        (
            "guard_no_route_takes_saved_data_to_another_origin",
            guard::no_route_takes_saved_data_to_another_origin,
        ),
        (
            "guard_each_policy_holds_while_acting",
            guard::each_policy_holds_while_acting,
        ),
        (
            "guard_profile_values_only_where_the_task_asks",
            guard::profile_values_only_where_the_task_asks,
        ),
        (
            "guard_the_sites_own_redirects_still_work",
            guard::the_sites_own_redirects_still_work,
        ),
        (
            "guard_odd_unicode_tasks_run_to_an_end",
            guard::odd_unicode_tasks_run_to_an_end,
        ),
        (
            "model_pull_resumes_and_checks",
            pull::resumes_checks_and_refuses,
        ),
        ("cli_pdf_is_read", cli::pdf_is_read_for_the_assistant),
        (
            "model_advice_and_a_model_too_large",
            pull::advice_and_a_model_too_large,
        ),
        (
            "window_colour_and_file_pickers",
            window::colour_and_file_pickers_are_answered_in_the_pane,
        ),
        (
            "window_context_menu",
            window::context_menu_is_answered_in_the_pane,
        ),
        (
            "window_find_in_page",
            find::finds_counts_and_steps_through_matches,
        ),
        (
            "profile_cookies_storage_and_tabs_survive_a_kill",
            profile::cookies_storage_and_tabs_survive_a_kill,
        ),
        (
            "profile_private_window_writes_nothing",
            profile::private_window_writes_nothing,
        ),
        (
            "profile_history_memory_and_bookmarks",
            profile::history_memory_and_bookmarks,
        ),
        (
            "window_settings_pick_a_model",
            profile::settings_pick_a_model,
        ),
        (
            "secrets_file_survives_a_reboot_and_holds_no_clear_text",
            passwords::secrets_file_survives_a_reboot_and_holds_no_clear_text,
        ),
        (
            "secrets_in_the_desktop_keyring",
            passwords::secrets_in_the_desktop_keyring,
        ),
        (
            "window_saves_a_login_and_fills_it_next_time",
            passwords::window_saves_a_login_and_fills_it_next_time,
        ),
        (
            "window_downloads_with_progress_and_cancel",
            passwords::window_downloads_with_progress_and_cancel,
        ),
        (
            "downloads_that_go_wrong_leave_nothing",
            passwords::downloads_that_go_wrong_leave_nothing,
        ),
        (
            "window_date_input_has_a_picker",
            passwords::window_date_input_has_a_picker,
        ),
        ("mcp_python_sdk_over_stdio", mcp::python_sdk_over_stdio),
        (
            "mcp_history_search_only_when_allowed",
            mcp::history_search_only_when_allowed,
        ),
        ("mcp_python_sdk_over_http", mcp::python_sdk_over_http),
        (
            "mcp_client_tools_over_stdio_answer_a_task",
            mcp_client::tools_over_stdio_answer_a_task,
        ),
        (
            "mcp_client_tool_calls_are_approved_and_never_carry_saved_data",
            mcp_client::tool_calls_are_approved_and_never_carry_saved_data,
        ),
        (
            "mcp_client_clef_run_offers_the_tools_to_the_test_model",
            mcp_client::clef_run_offers_the_tools_to_the_test_model,
        ),
        (
            "mcp_policy_governs_the_server",
            mcp::policy_governs_the_server,
        ),
        (
            "mcp_client_leaving_mid_task_stops_it",
            mcp::client_leaving_mid_task_stops_it,
        ),
        (
            "mcp_inspector_cli_lists_and_calls",
            mcp::inspector_cli_lists_and_calls,
        ),
        (
            "mcp_conformance_suite_server_scenarios",
            mcp::conformance_suite_server_scenarios,
        ),
        (
            "user_scripts_run_where_they_match_and_as_managed",
            user_scripts::run_where_they_match_and_as_managed,
        ),
        (
            "cli_model_list_and_use_find_other_stores",
            cli::model_list_and_use_find_other_stores,
        ),
        ("error_bad_address", errors::bad_address),
        ("error_missing_file", errors::missing_file),
        ("error_unreachable_host", errors::unreachable_host),
        ("error_tls_failure", errors::tls_failure),
        ("error_http_404_and_500", errors::http_404_and_500),
        ("error_page_never_finishes", errors::page_never_finishes),
        ("error_javascript_exception", errors::javascript_exception),
        (
            "error_malformed_html_still_loads",
            errors::malformed_html_still_loads,
        ),
        (
            "cli_eval_text_and_screenshot",
            cli::eval_text_and_screenshot,
        ),
        (
            "cli_errors_are_one_line_and_nonzero",
            cli::errors_are_one_line_and_nonzero,
        ),
        (
            "cli_model_info_and_bad_model",
            cli::model_info_and_bad_model,
        ),
        (
            "snapshot_shows_what_users_see",
            reading::snapshot_shows_what_users_see,
        ),
        (
            "snapshot_ids_are_stable_and_never_reused",
            reading::snapshot_ids_are_stable_and_never_reused,
        ),
        (
            "snapshot_budget_trims_and_says_what_was_cut",
            reading::snapshot_budget_trims_and_says_what_was_cut,
        ),
        (
            "reader_leaves_out_hidden_and_injected_text",
            reading::reader_leaves_out_hidden_and_injected_text,
        ),
        (
            "summary_streams_cited_points_and_obeys_no_page",
            reading::summary_streams_cited_points_and_obeys_no_page,
        ),
        (
            "summary_stops_when_asked",
            reading::summary_stops_when_asked,
        ),
        (
            "questions_cite_passages_or_say_the_pages_do_not",
            reading::questions_cite_passages_or_say_the_pages_do_not,
        ),
        (
            "cli_summarize_ask_and_read",
            reading::cli_summarize_ask_and_read,
        ),
        (
            "cli_bad_input_is_a_clear_message",
            reading::cli_bad_input_is_a_clear_message,
        ),
        (
            "page_far_beyond_the_context",
            reading::a_page_far_beyond_the_context_is_summarized_and_answered,
        ),
        (
            "key_points_of_a_long_page_in_parts",
            reading::key_points_of_a_long_page_are_merged_from_its_parts,
        ),
        (
            "act_login_with_a_saved_password_never_shows_it",
            acting::login_with_a_saved_password_never_shows_it,
        ),
        (
            "act_cli_run_keeps_secrets_out_of_logs",
            acting::cli_run_prints_steps_and_keeps_secrets_out_of_logs,
        ),
        (
            "act_multi_step_form",
            acting::multi_step_form_with_select_checkbox_radio_and_date,
        ),
        (
            "act_search_then_open_nth_result",
            acting::search_then_open_the_nth_result,
        ),
        ("act_pagination", acting::pagination_to_find_a_result),
        (
            "act_dialog_dismissed_first",
            acting::a_dialog_is_dismissed_first,
        ),
        (
            "act_re_rendered_element",
            acting::an_element_that_re_renders_is_found_again,
        ),
        (
            "act_injections_cannot_send_data_away",
            acting::injected_pages_cannot_send_data_away,
        ),
        (
            "act_impossible_task_fails",
            acting::an_impossible_task_fails_with_a_reason,
        ),
        (
            "act_rejected_form_and_dead_link",
            acting::a_rejected_form_and_a_dead_link_end_with_a_reason,
        ),
        (
            "loop_scripted_model_on_a_script_driven_page",
            agent_loop::scripted_model_drives_unlabelled_fields_script_buttons_repeats_and_answers,
        ),
        (
            "loop_done_checked_loops_and_bad_replies",
            agent_loop::done_is_checked_and_loops_and_bad_replies_end_the_task,
        ),
        (
            "loop_five_thousand_elements",
            agent_loop::a_page_of_five_thousand_elements_is_trimmed,
        ),
        (
            "loop_french_task_with_the_test_model",
            agent_loop::a_french_task_with_the_test_model,
        ),
        (
            "loop_task_split_by_the_test_model",
            agent_loop::the_test_model_splits_a_task,
        ),
        (
            "policy_features_sites_and_locked_settings",
            policy::features_sites_and_locked_settings,
        ),
        (
            "policy_broken_file_fails_closed_and_allow_list",
            policy::a_broken_file_fails_closed_and_the_allow_list_holds,
        ),
        (
            "audit_log_is_shown_and_exported",
            policy::audit_log_is_shown_and_exported,
        ),
        (
            "offline_every_assistant_feature_works",
            policy::offline_every_assistant_feature_works_on_local_files,
        ),
        (
            "egress_only_the_pages_asked_for_leave",
            egress::only_the_pages_asked_for_leave_the_namespace,
        ),
        (
            "window_shows_a_page_under_xvfb",
            window::shows_a_page_under_xvfb,
        ),
        (
            "window_select_and_dialogs_answered_in_pane",
            window::select_and_dialogs_are_answered_in_the_pane,
        ),
        (
            "window_mcp_clients_drive_a_visible_tab_and_pause",
            mcp_window::clients_drive_a_visible_tab_and_pause,
        ),
        (
            "window_pane_asks_before_a_tool_and_keeps_always",
            mcp_client::the_pane_asks_and_keeps_always,
        ),
        (
            "window_pane_task_with_approval",
            window::pane_carries_out_a_task_after_approval,
        ),
        (
            "window_pane_shows_what_is_managed",
            window::pane_shows_what_the_organization_manages,
        ),
        (
            "window_saved_copy_opens_offline",
            window::saved_copy_opens_offline,
        ),
        (
            "window_hung_navigation_does_not_wedge_the_tab",
            window::hung_navigation_does_not_wedge_the_tab,
        ),
    ]);
    acting::lock_test_stores();
    code
}
