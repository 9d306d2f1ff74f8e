// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// The part of Multicall3's interface Coffer's facilitator calls (aggregate3, plus the block
/// readers), written for the test chain, where Multicall3 is not predeployed. The tests place
/// its runtime code at the canonical address 0xcA11bde05977b3631167028862bE2a173976CA11 with
/// anvil_setCode, so production and test settle through the same address and ABI.
contract Multicall3 {
    struct Call3 {
        address target;
        bool allowFailure;
        bytes callData;
    }

    struct Result {
        bool success;
        bytes returnData;
    }

    function aggregate3(Call3[] calldata calls) external payable returns (Result[] memory returnData) {
        uint256 length = calls.length;
        returnData = new Result[](length);
        for (uint256 i = 0; i < length; i++) {
            Call3 calldata call = calls[i];
            Result memory result = returnData[i];
            (result.success, result.returnData) = call.target.call(call.callData);
            require(call.allowFailure || result.success, "Multicall3: call failed");
        }
    }

    function getBlockNumber() external view returns (uint256) {
        return block.number;
    }

    function getCurrentBlockTimestamp() external view returns (uint256) {
        return block.timestamp;
    }

    function getEthBalance(address addr) external view returns (uint256) {
        return addr.balance;
    }
}
